"""The SQLAlchemy models of an app: columns, relationships, and which views use them.

Models are read from the mappers SQLAlchemy has already built: Flask-SQLAlchemy's ``db.Model``
registry (``app.extensions["sqlalchemy"]``) and every declarative base / registry found in the
app's own modules. SQLAlchemy is imported only when called, so apps without it work.

    >>> models = find_models(app)
    >>> [m.name for m in models]  # parents before children
    ['User', 'Project', 'Task']
    >>> protected_columns(models[0])
    ('id', 'password_hash', 'is_admin', 'created_at')
"""

from __future__ import annotations

import ast
import builtins
import inspect
import re
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from testboost.analysis.source import function_source
from testboost.compat import (
    autoincrement_column,
    configured_mappers,
    declarative_registry,
    sqlalchemy_extension,
)

if TYPE_CHECKING:
    import sqlalchemy as sa
    from flask import Flask
    from sqlalchemy.orm import Mapper, RelationshipProperty


@dataclass(frozen=True)
class Column:
    """One mapped column, named by its attribute on the model class.

    ``type`` is one of int, float, decimal, str, text, bool, datetime, date, json, bytes, enum,
    other; ``foreign_key`` is the target as ``"table.column"``.
    """

    name: str
    type: str
    length: int | None
    nullable: bool
    primary_key: bool
    unique: bool
    has_default: bool
    foreign_key: str | None
    autoincrement: bool
    enum_values: tuple[str, ...]


@dataclass(frozen=True)
class Relationship:
    """A ``relationship()`` on a model: ``target`` is the related class's name."""

    name: str
    target: str
    direction: str  # many-to-one | one-to-many | many-to-many | one-to-one
    cascade_delete: bool  # the ORM deletes (or orphan-deletes) related rows with the parent
    lazy: str
    secondary: str | None = None  # the association table of a many-to-many relationship


@dataclass(frozen=True)
class Model:
    """A mapped class: its table, the module defining it, its columns and relationships."""

    name: str
    table: str
    module: str
    columns: tuple[Column, ...]
    relationships: tuple[Relationship, ...]

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or None."""
        return next((c for c in self.columns if c.name == name), None)


def find_models(app: Flask) -> tuple[Model, ...]:
    """Every mapped class the app can use, parents before children (foreign-key order).

    Classes sharing a table (single-table inheritance) come base first. Returns ``()`` when
    SQLAlchemy is not installed or the app maps nothing.

        >>> [m.table for m in find_models(app)]
        ['user', 'project']
    """
    try:
        import sqlalchemy  # noqa: F401  (only to learn whether it is installed)
    except ImportError:
        return ()
    import sqlalchemy as sa

    mappers = configured_mappers(_app_registries(app))
    if not mappers:
        return ()
    tables = sorted(
        {m.local_table for m in mappers if isinstance(m.local_table, sa.Table)},
        key=lambda t: t.fullname,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # dependency cycles: order as listed
        order: dict[object, int] = {t: i for i, t in enumerate(sa.schema.sort_tables(tables))}

    def key(mapper: Mapper[Any]) -> tuple[int, int, str, str]:
        depth = len(list(mapper.iterate_to_root()))
        cls = mapper.class_
        return (order.get(mapper.local_table, len(order)), depth, cls.__name__, cls.__module__)

    return tuple(_model(m) for m in sorted(mappers, key=key))


def models_used_by(func: Callable[..., Any], models: tuple[Model, ...]) -> tuple[str, ...]:
    """Names of the models ``func``'s source mentions, in order of first mention.

    A mention is a name (``User.query``, ``db.session.get(User, 1)``, ``select(User)``) or a
    module attribute (``models.User``). A name bound to some other object is not a mention.
    A view made by ``View.as_view`` is read through its class's HTTP-method functions.

        >>> models_used_by(app.view_functions["get_project"], find_models(app))
        ('Project', 'User')
    """
    view_class = getattr(func, "view_class", None)
    if isinstance(view_class, type):
        funcs: list[object] = [
            getattr(view_class, verb)
            for verb in ("get", "post", "put", "patch", "delete")
            if hasattr(view_class, verb)
        ]
    else:
        funcs = [func]
    by_name: dict[str, list[Model]] = {}
    for model in models:
        by_name.setdefault(model.name, []).append(model)
    found: list[str] = []
    for target in funcs:
        src = function_source(target)
        if src is None:
            continue
        names: dict[str, object] = dict(vars(builtins))
        names.update(src.func.__globals__)
        for name in _mentions(src.node, names):
            if name not in found and _is_model(name, names, by_name):
                found.append(name)
    return tuple(found)


_ALWAYS_PROTECTED = frozenset(
    {"id", "pk", "uuid", "role", "roles", "is_admin", "admin", "is_staff", "is_superuser"}
    | {"superuser", "permissions", "owner_id", "user_id", "author_id", "creator_id"}
    | {"created_by", "created_by_id", "password", "password_hash", "hashed_password"}
)
_TIMESTAMPS = frozenset(
    {"created_at", "updated_at", "modified_at", "deleted_at", "created_on", "updated_on"}
    | {"date_created", "date_modified", "created", "modified"}
)
_SECRET = re.compile(
    r"passw(or)?d|pass_?hash|api_?key|private_?key|secret|token"
    r"|(^|_)(pwd|salt|otp|totp|mfa_seed|pin)(_|$)",
    re.IGNORECASE,
)
_OWNER_TABLES = frozenset({"user", "users", "account", "accounts", "member", "members"})


def protected_columns(model: Model) -> tuple[str, ...]:
    """Columns a client must never set: keys, roles and admin flags, owners, secrets, timestamps.

    Primary keys; ``role`` / ``is_admin`` / ``is_staff`` / ``is_superuser``; ownership foreign
    keys (``owner_id``, ``user_id``, any foreign key to a users / accounts table); everything in
    :func:`secret_columns`; ``created_at`` / ``updated_at`` style timestamps.

        >>> protected_columns(user_model)
        ('id', 'password_hash', 'is_admin', 'created_at')
    """
    secrets = set(secret_columns(model))
    out: list[str] = []
    for col in model.columns:
        name = col.name.lower()
        owner_fk = (
            col.foreign_key is not None
            and col.foreign_key.rsplit(".", 1)[0].rsplit(".", 1)[-1].lower() in _OWNER_TABLES
        )
        if (
            col.primary_key
            or name in _ALWAYS_PROTECTED
            or name in _TIMESTAMPS
            or owner_fk
            or col.name in secrets
        ):
            out.append(col.name)
    return tuple(out)


def secret_columns(model: Model) -> tuple[str, ...]:
    """Columns whose value must never appear in a response: password hashes, tokens, keys.

    >>> secret_columns(user_model)
    ('password_hash', 'api_key')
    """
    return tuple(c.name for c in model.columns if _SECRET.search(c.name))


# --- mappers ----------------------------------------------------------------------------------


def _app_registries(app: Flask) -> list[object]:
    """Flask-SQLAlchemy's db.Model registry and every registry in the app's modules."""
    registries: list[object] = []

    def add(value: object) -> None:
        reg = declarative_registry(value)
        if reg is not None and all(reg is not r for r in registries):
            registries.append(reg)

    model_base = getattr(sqlalchemy_extension(app), "Model", None)
    if isinstance(model_base, type):
        add(model_base)
    for module in _app_modules(app):
        for value in list(vars(module).values()):
            add(value)
    return registries


_LIBRARIES = {"flask", "flask_restx", "flask_smorest", "werkzeug"}


def _app_modules(app: Flask) -> Iterator[types.ModuleType]:
    """Loaded modules of the app's own packages: its import name's and its views'."""
    packages = {app.import_name.partition(".")[0]}
    for view in app.view_functions.values():
        module = getattr(inspect.unwrap(view), "__module__", None)
        if isinstance(module, str):
            packages.add(module.partition(".")[0])
    packages -= {"flask", "flask_restx", "flask_smorest", "werkzeug"}
    for name, module in list(sys.modules.items()):
        if isinstance(module, types.ModuleType) and name.partition(".")[0] in packages:
            yield module


def _model(mapper: Mapper[Any]) -> Model:
    import sqlalchemy as sa

    table = mapper.local_table
    table_name = table.name if isinstance(table, sa.Table) else mapper.class_.__name__
    columns: list[Column] = []
    for prop in mapper.column_attrs:
        col = prop.columns[0]
        if isinstance(col, sa.Column):
            columns.append(_column(prop.key, col))
    relationships = tuple(
        _relationship(rel) for rel in sorted(mapper.relationships, key=lambda r: r.key)
    )
    return Model(
        name=mapper.class_.__name__,
        table=table_name,
        module=mapper.class_.__module__,
        columns=tuple(columns),
        relationships=relationships,
    )


def _column(key: str, col: sa.Column[Any]) -> Column:
    import sqlalchemy as sa

    table = col.table
    unique = bool(col.unique) or any(
        isinstance(c, sa.UniqueConstraint) and list(c.columns) == [col] for c in table.constraints
    )
    unique = unique or any(ix.unique and list(ix.columns) == [col] for ix in table.indexes)
    fk = next(iter(sorted(col.foreign_keys, key=lambda f: f.target_fullname)), None)
    enum_values: tuple[str, ...] = ()
    if isinstance(col.type, sa.Enum):
        enum_values = tuple(col.type.enums)
    length = getattr(col.type, "length", None)
    return Column(
        name=key,
        type=_column_type(col.type),
        length=length if isinstance(length, int) else None,
        nullable=bool(col.nullable),
        primary_key=bool(col.primary_key),
        unique=unique,
        has_default=col.default is not None or col.server_default is not None,
        foreign_key=fk.target_fullname if fk is not None else None,
        autoincrement=autoincrement_column(table) is col,
        enum_values=enum_values,
    )


def _column_type(type_: sa.types.TypeEngine[Any]) -> str:
    import sqlalchemy as sa

    if isinstance(type_, (sa.PickleType, sa.Interval)):
        return "other"
    if isinstance(type_, sa.types.TypeDecorator):
        type_ = type_.impl_instance
    table: tuple[tuple[type[sa.types.TypeEngine[Any]] | tuple[type[Any], ...], str], ...] = (
        (sa.Enum, "enum"),
        (sa.Boolean, "bool"),
        (sa.Integer, "int"),
        (sa.Float, "float"),
        (sa.Numeric, "decimal"),
        (sa.Text, "text"),
        (sa.String, "str"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.JSON, "json"),
        ((sa.LargeBinary, sa.BINARY, sa.VARBINARY), "bytes"),
    )
    for kind, name in table:
        if isinstance(type_, kind):
            return name
    return "other"


def _relationship(rel: RelationshipProperty[Any]) -> Relationship:
    kind = rel.direction.name  # a symbol on SQLAlchemy 1.3, an enum from 1.4: both have .name
    if kind == "MANYTOMANY":
        direction = "many-to-many"
    elif kind == "ONETOMANY":
        direction = "one-to-many" if rel.uselist else "one-to-one"
    elif kind == "MANYTOONE":
        reverse: set[RelationshipProperty[Any]] = getattr(rel, "_reverse_property", set())
        local_unique = bool(rel.local_columns) and all(
            getattr(c, "unique", False) for c in rel.local_columns
        )
        one = local_unique or any(not r.uselist for r in reverse)
        direction = "one-to-one" if one else "many-to-one"
    else:
        direction = "other"
    lazy = rel.lazy
    if lazy is True:
        lazy_name = "select"
    elif lazy is False:
        lazy_name = "joined"
    else:
        lazy_name = "noload" if lazy is None else str(lazy)
    return Relationship(
        name=rel.key,
        target=rel.mapper.class_.__name__,
        direction=direction,
        cascade_delete="delete" in rel.cascade or "delete-orphan" in rel.cascade,
        lazy=lazy_name,
        secondary=getattr(rel.secondary, "name", None),
    )


# --- mentions ---------------------------------------------------------------------------------


def _mentions(node: ast.AST, names: dict[str, object]) -> list[str]:
    """Names and ``module.Name`` attributes in ``node``, in source order."""
    spots: list[tuple[int, int, str]] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            spots.append((sub.lineno, sub.col_offset, sub.id))
        elif (
            isinstance(sub, ast.Attribute)
            and isinstance(sub.value, ast.Name)
            and isinstance(names.get(sub.value.id), types.ModuleType)
        ):
            spots.append((sub.lineno, sub.col_offset, sub.attr))
    return [name for _, _, name in sorted(spots)]


def _is_model(name: str, names: dict[str, object], by_name: dict[str, list[Model]]) -> bool:
    candidates = by_name.get(name)
    if not candidates:
        return False
    obj = names.get(name)
    if obj is None:  # imported inside the function, or a module attribute: trust the name
        return True
    return isinstance(obj, type) and any(obj.__module__ == m.module for m in candidates)


def app_metadatas(app: Flask) -> list[sa.MetaData]:
    """Every SQLAlchemy ``MetaData`` behind the models the app's own code uses.

    Flask-SQLAlchemy's, and the bases of model classes found in the namespace of the app's
    module and of its views' modules: a sibling app in the same package (``examples.a`` beside
    ``examples.b``) is not this app, even when both are imported.
    """
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        return []
    found: list[sa.MetaData] = []

    def add(value: object) -> None:
        reg = declarative_registry(value)
        metadata = getattr(reg, "metadata", None)  # a registry (1.4+) or a base class (1.3)
        if metadata is not None and all(metadata is not m for m in found):
            found.append(metadata)

    add(getattr(sqlalchemy_extension(app), "Model", None))
    names = {app.import_name}
    for view in app.view_functions.values():
        module = getattr(inspect.unwrap(view), "__module__", None)
        if isinstance(module, str) and module.partition(".")[0] not in _LIBRARIES:
            names.add(module)
    for name in sorted(names):
        module = sys.modules.get(name)
        if module is not None:
            for value in list(vars(module).values()):
                if isinstance(value, type):
                    add(value)
    return found
