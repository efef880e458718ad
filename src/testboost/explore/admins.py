"""Users linked to roles through an association table, the way the app's models link them.

Flask-AppBuilder (and Flask-Security, and many hand-written apps) keep roles in their own table
and link users to them through the association table of a many-to-many relationship
(``ab_user_role``). An administrator there is a user linked to the role row the app made for
administrators ("Admin", "Administrator"); an ordinary user is linked to another role. The
links are learned from the user model's relationships (their ``secondary`` tables), else from the
shape of the database (a two-column table pointing at the user table and at a role or group
table). Only role rows the app made count: no administrator role is ever invented.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask

from testboost.explore.database import SandboxDatabase, TableInfo

#: Tables a user is linked to through an association table (``ab_user_role``, ``user_groups``).
ROLE_TABLES = re.compile(r"(role|group)", re.IGNORECASE)
#: A role name that says administrator: "Admin", "Administrator", "admin", "superadmin"...
ADMIN_NAME = re.compile(r"admin", re.IGNORECASE)
#: Columns that name a role, looked at before any other text column.
_NAME_COLUMNS = ("name", "title", "label", "slug", "code")


@dataclass(frozen=True)
class RoleLink:
    """An association table linking users to a role table: its two columns and the role's key."""

    link: TableInfo
    user_column: str
    role_table: str
    role_column: str
    role_key: str
    #: "model" when a relationship of the user model names the table, else "schema"
    learned_from: str = "schema"

    def describe(self) -> str:
        """``ab_user_role (from the model's relationship)``."""
        how = "the user model's relationship" if self.learned_from == "model" else "the schema"
        return f"{self.link.name} to {self.role_table} (from {how})"


def role_links(app: Flask | None, database: SandboxDatabase, users: TableInfo) -> list[RoleLink]:
    """The association tables that link ``users`` to a role table, the model's first."""
    found: list[RoleLink] = []
    for secondary in _secondary_tables(app, users.name):
        link = database.table(secondary)
        if link is not None:
            found.extend(_links_of(link, users, learned_from="model"))
    for link in database.tables:
        if any(f.link.name == link.name for f in found) or len(link.columns) > 3:
            continue
        found.extend(_links_of(link, users, learned_from="schema"))
    return found


def _links_of(link: TableInfo, users: TableInfo, *, learned_from: str) -> list[RoleLink]:
    to_user = [fk for fk in link.foreign_keys if fk.parent_table == users.name]
    others = [fk for fk in link.foreign_keys if fk.parent_table != users.name]
    if len(to_user) != 1 or len(others) != 1 or not ROLE_TABLES.search(others[0].parent_table):
        return []
    return [
        RoleLink(
            link,
            to_user[0].column,
            others[0].parent_table,
            others[0].column,
            others[0].parent_column,
            learned_from,
        )
    ]


def _secondary_tables(app: Flask | None, table: str) -> list[str]:
    """The association tables of the many-to-many relationships of the model mapped to ``table``."""
    if app is None:
        return []
    from testboost.analysis.models import find_models

    try:
        models = find_models(app)
    except Exception:  # models that do not configure: the schema's shape is still there
        return []
    return [
        rel.secondary
        for model in models
        if model.table == table
        for rel in model.relationships
        if rel.direction == "many-to-many" and rel.secondary
    ]


def role_name(row: dict[str, Any]) -> str:
    """The text that names a role row: its ``name`` (or title, label...), else its first text."""
    for column in _NAME_COLUMNS:
        value = row.get(column)
        if isinstance(value, str):
            return value
    return next((v for v in row.values() if isinstance(v, str)), "")


def admin_role(database: SandboxDatabase, link: RoleLink) -> Any:
    """The key of the role row the app named for administrators, or None."""
    for row in database.read().get(link.role_table, {}).values():
        if ADMIN_NAME.search(role_name(row)):
            return row.get(link.role_key)
    return None


def link_admin(database: SandboxDatabase, links: Sequence[RoleLink], key: Any) -> RoleLink | None:
    """Link the user ``key`` to an administrator role row; the link used, or None."""
    for link in links:
        role = admin_role(database, link)
        if role is not None and add_link(database, link, key, role):
            return link
    return None


def add_link(database: SandboxDatabase, link: RoleLink, key: Any, role: Any) -> bool:
    """Link the user ``key`` to the role ``role``; False when the table refuses the row."""
    try:
        database.insert(link.link, {link.user_column: key, link.role_column: role})
    except Exception:  # already linked, or a constraint it does not meet
        return False
    return True


def no_admin_line(users: TableInfo, links: Sequence[RoleLink]) -> str:
    """The reach block's line saying why there is no administrator, and what would make one."""
    where = f"{users.name} has no admin flag or role column"
    if links:
        tables = ", ".join(link.describe() for link in links)
        where += (
            f", and no role row users link to through {tables} is named for administrators "
            "(testboost never makes one: create it in your setup command, "
            '`[tool.testboost]` `setup = ["flask <command>"]`)'
        )
    return f"admin: no administrator made: {where}"
