"""scan --shard I/N + merge, and scan --jobs N: the report of one scan of every route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from testboost.cli import main
from testboost.errors import UsageError
from testboost.explore.runner import Shard
from testboost.shards import parse_shard

SPEC = "nplus_app:create_app()"


def scan(*arguments: str) -> Any:
    return CliRunner().invoke(main, ["scan", "--app", SPEC, *arguments])


def comparable(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text())
    document.pop("shard", None)
    document["stats"].pop("seconds")
    return document


def test_shards_are_dealt_out_in_turn() -> None:
    assert parse_shard("2/3") == Shard(2, 3)
    assert [p for p in range(7) if Shard(2, 3).drives(p)] == [1, 4]
    for bad in ("0/2", "3/2", "1", "a/b"):
        with pytest.raises(UsageError, match="--shard"):
            parse_shard(bad)


def test_merged_shards_report_what_one_scan_reports(apps_dir: Path, tmp_path: Path) -> None:
    assert scan("--json", str(tmp_path / "one.json")).exit_code == 0
    for index in (1, 2, 3):
        run = scan("--shard", f"{index}/3", "--json", str(tmp_path / f"s{index}.json"))
        assert run.exit_code == 0, run.output
    shards = [str(tmp_path / f"s{i}.json") for i in (3, 1, 2)]
    merged = CliRunner().invoke(main, ["merge", *shards, "--json", str(tmp_path / "m.json")])
    assert merged.exit_code == 0, merged.output
    assert comparable(tmp_path / "m.json") == comparable(tmp_path / "one.json")
    assert "n-plus-one  GET /reports/projects" in merged.output


def test_merge_refuses_a_missing_shard_in_one_line(apps_dir: Path, tmp_path: Path) -> None:
    assert scan("--shard", "1/2", "--json", str(tmp_path / "s1.json")).exit_code == 0
    run = CliRunner().invoke(main, ["merge", str(tmp_path / "s1.json")])
    assert run.exit_code == 2
    assert "each of the 2 shards once (missing 2)" in run.output
    not_a_shard = tmp_path / "report.json"
    assert scan("--json", str(not_a_shard)).exit_code == 0
    run = CliRunner().invoke(main, ["merge", str(not_a_shard)])
    assert run.exit_code == 2 and "is not a shard report" in run.output


def test_a_shard_needs_a_json_file_to_keep_it(apps_dir: Path) -> None:
    run = scan("--shard", "1/2")
    assert run.exit_code == 2
    assert "--shard needs --json FILE" in run.output


def test_jobs_give_the_report_of_one_process(apps_dir: Path, tmp_path: Path) -> None:
    assert scan("--json", str(tmp_path / "one.json")).exit_code == 0
    run = scan("--jobs", "2", "--json", str(tmp_path / "two.json"))
    assert run.exit_code == 0, run.output
    assert comparable(tmp_path / "two.json") == comparable(tmp_path / "one.json")
