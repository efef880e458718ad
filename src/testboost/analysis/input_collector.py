"""The fields a view reads, accumulated while its code is walked, and folded into an
:class:`~testboost.analysis.inputspec.InputSpec`."""

from __future__ import annotations

import types
from dataclasses import dataclass, field

from testboost.analysis.inputspec import Field, InputSpec
from testboost.analysis.source import FunctionSource, function_source

Ref = tuple[str, str]  # (location, name)
#: Joins a location and a list field into the pseudo-location of that list's elements while
#: analysing (``json[]items``); :meth:`Collector.spec` folds them into ``Field.items``.
ELEMENT = "[]"

WEAK, HINT, CAST = 1, 2, 3  # how much a piece of evidence about a field's type is worth

_STRING_LOCATIONS = frozenset({"form", "query", "header", "cookie"})


@dataclass
class FieldAcc:
    name: str
    location: str
    type: str
    rank: int = 0
    required: bool = False
    default: object | None = None
    subscripted: bool = False  # read as data["k"] somewhere unguarded

    def hint(self, type_: str, rank: int) -> None:
        if rank > self.rank:
            self.type, self.rank = type_, rank


@dataclass
class Collector:
    fields: dict[Ref, FieldAcc] = field(default_factory=dict)
    json_body: bool = False
    whole_json: bool = False
    form_body: bool = False
    whole_form: bool = False
    sources: list[str] = field(default_factory=list)
    seen: set[types.CodeType] = field(default_factory=set)
    parsed: dict[types.FunctionType, FunctionSource | None] = field(default_factory=dict)

    def parse(self, func: types.FunctionType) -> FunctionSource | None:
        if func not in self.parsed:
            self.parsed[func] = function_source(func)
        return self.parsed[func]

    def touch(self, ref: Ref) -> FieldAcc:
        acc = self.fields.get(ref)
        if acc is None:
            location, name = ref
            base = "str" if location in _STRING_LOCATIONS else "any"
            acc = self.fields[ref] = FieldAcc(name=name, location=location, type=base)
            if location == "json":
                self.json_body = True
            elif location in ("form", "file"):
                self.form_body = True
        return acc

    def whole(self, location: str) -> None:
        if location == "json":
            self.whole_json = True
        elif location == "form":
            self.whole_form = True

    def spec(self) -> InputSpec:
        elements: dict[tuple[str, str], list[Field]] = {}
        for a in self.fields.values():
            if ELEMENT in a.location:
                location, _, parent = a.location.partition(ELEMENT)
                field = Field(a.name, location, a.type, is_required(a), a.default)
                elements.setdefault((location, parent), []).append(field)
        return InputSpec(
            fields=tuple(
                Field(
                    a.name,
                    a.location,
                    "list" if (a.location, a.name) in elements else a.type,
                    is_required(a),
                    a.default,
                    tuple(elements.get((a.location, a.name), ())),
                )
                for a in self.fields.values()
                if ELEMENT not in a.location
            ),
            json_body=self.json_body,
            whole_json=self.whole_json,
            form_body=self.form_body,
            sources=tuple(self.sources),
            whole_form=self.whole_form,
        )


def is_required(acc: FieldAcc) -> bool:
    """Required, unless ``.get(k, default)`` supplies a value whenever the key is missing.

    A check that rejects a bad value (``if not isinstance(x, str): abort(400)``) passes the
    default, so only an unguarded ``data["k"]`` makes such a field required.
    """
    return acc.required and (acc.default is None or acc.subscripted)
