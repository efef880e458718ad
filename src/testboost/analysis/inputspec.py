"""What a view reads from the request, as data: :class:`Field` and :class:`InputSpec`."""

from __future__ import annotations

from dataclasses import dataclass

LOCATIONS = ("json", "form", "query", "header", "file", "cookie")

TYPES = ("str", "int", "float", "bool", "list", "dict", "any")


@dataclass(frozen=True)
class Field:
    """One named input a view reads.

    ``location`` is one of :data:`LOCATIONS`, ``type`` one of :data:`TYPES` ("any" when nothing
    in the code says more). ``required`` is true when the view reads the value in a way that
    fails without it (``data["k"]``) or rejects the request when it is missing; ``default`` is
    the literal default of ``.get("k", default)``. ``items`` are the keys the view reads from
    each element of a list of objects (``for entry in data["items"]: entry["product_id"]``).
    """

    name: str
    location: str
    type: str
    required: bool
    default: object | None = None
    items: tuple[Field, ...] = ()


@dataclass(frozen=True)
class InputSpec:
    """Everything a view reads from the request.

    ``whole_json`` / ``whole_form``: the view passes the entire body on (``Model(**data)``,
    ``obj.update(request.json)``, a ``setattr`` loop over ``data.items()``, ``dict(data)``),
    so any key a client sends may land in the database. ``sources`` are the ``file:line`` of the
    functions analysed: the view first, then the helpers followed.
    """

    fields: tuple[Field, ...] = ()
    json_body: bool = False
    whole_json: bool = False
    form_body: bool = False
    sources: tuple[str, ...] = ()
    whole_form: bool = False

    def field(self, name: str, location: str | None = None) -> Field | None:
        """The field called ``name`` (in ``location`` when given), or None.

        >>> spec.field("page", "query").type
        'int'
        """
        for f in self.fields:
            if f.name == name and (location is None or f.location == location):
                return f
        return None


def value_type(value: object) -> str | None:
    """The input type (:data:`TYPES`) of a Python value, or None for other objects."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return None
