"""The README's Severity section gives a rule for every check testboost runs."""

from __future__ import annotations

import re
from pathlib import Path

from testboost.checks import SEVERITIES, load_checks

README = Path(__file__).resolve().parent.parent / "README.md"


def severity_rows() -> dict[str, str]:
    """Each severity of the README's Severity table and the text of its "findings" cell."""
    text = README.read_text()
    section = text.split("\n## Severity\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0] in SEVERITIES:
            rows[cells[0]] = cells[2]
    return rows


def test_every_check_has_a_severity_rule_in_the_readme() -> None:
    rows = severity_rows()
    assert set(rows) == {"critical", "high", "medium", "low"}
    named = {name for cell in rows.values() for name in re.findall(r"`([a-z0-9-]+)`", cell)}
    assert set(load_checks()) <= named
