"""The discriminator column of a model with SQLAlchemy polymorphic inheritance.

CTFd's ``Users`` is mapped with ``polymorphic_on=type`` (``"user"``; ``Admins`` is ``"admin"``):
a row whose ``type`` is NULL cannot be loaded as any class, so a user written without it is a
user the app could not have made, and every page that loads it fails. A user row written
directly gets the base class's identity, and the administrator an identity that names one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from testboost.compat import configured_mappers, declarative_registry, sqlalchemy_extension


@dataclass(frozen=True)
class Discriminator:
    """The column a table's class hierarchy is told apart by, its base value, and every value."""

    column: str
    base: str
    values: tuple[str, ...]
    # columns of the table the base's class does not map: single-table subclasses' own (CTFd's
    # ``files.page_id`` is ``PageFiles``'), NULL in every row the app writes as the base class
    unmapped: tuple[str, ...] = ()


def discriminators(app: Flask) -> dict[str, Discriminator]:
    """``{table name: Discriminator}`` for every base class mapped with ``polymorphic_on``."""
    model = getattr(sqlalchemy_extension(app), "Model", None)
    registry = declarative_registry(model)
    found: dict[str, Discriminator] = {}
    try:
        mappers = configured_mappers([registry] if registry is not None else [])
    except Exception:  # models that do not configure are read elsewhere, or not at all
        return found
    for mapper in mappers:
        column = getattr(mapper, "polymorphic_on", None)
        table = getattr(mapper, "local_table", None)
        identity = getattr(mapper, "polymorphic_identity", None)
        name = getattr(column, "name", None)
        if getattr(mapper, "inherits", None) is not None or table is None:
            continue
        values = tuple(sorted(str(v) for v in getattr(mapper, "polymorphic_map", {}) if v))
        if not isinstance(name, str) or not values:
            continue
        # a base mapped without an identity of its own (CTFd's Submissions): its first subclass
        base = identity if isinstance(identity, str) else values[0]
        base_mapper = getattr(mapper, "polymorphic_map", {}).get(base, mapper)
        # a property may map several columns (a joined subclass's ``user_id`` and its base's)
        mapped = {
            c.name
            for prop in base_mapper.column_attrs
            for c in prop.columns
            if getattr(c, "table", None) is table
        }
        unmapped = tuple(sorted(c.name for c in table.columns if c.name not in mapped))
        found[str(table.name)] = Discriminator(name, base, values, unmapped)
    return found


def subclass_columns(app: Flask) -> dict[str, frozenset[str]]:
    """``{table: columns}`` a row seeded as the base class leaves NULL (see ``unmapped``)."""
    return {t: frozenset(k.unmapped) for t, k in discriminators(app).items() if k.unmapped}
