"""The diagnosis behind ``scan``, ``merge`` and ``demo``: explore, check, report, deliver."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from testboost.cli.running import loaded_app
from testboost.errors import UsageError, stage
from testboost.inventory import Route, build_inventory
from testboost.report.console import make_console
from testboost.report.files import json_text, write_output
from testboost.sandbox import Sandbox

if TYPE_CHECKING:
    from testboost.explore.runner import ProbeResult, Shard
    from testboost.report.model import Report
    from testboost.report.outputs import Outputs
    from testboost.shards import ShardPart


def diagnose(
    spec: str,
    allow_db: tuple[str, ...],
    seed: int,
    budget: float,
    timeout: float,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    setup: tuple[str, ...] = (),
    shard: Shard | None = None,
) -> tuple[Report, ProbeResult, tuple[Route, ...]]:
    """Load, inventory, explore and check one app: the diagnosis ``scan`` and ``demo`` print."""
    from testboost.checks import run_checks
    from testboost.report.model import SandboxSetup, build_report

    checks = check_ids(select, ignore)
    with loaded_app(spec, allow_db, seed=seed) as (app, sandbox):
        with stage("inventory"):
            inventory = build_inventory(app)
        with stage("explore"):
            result = explore_with_progress(
                app, spec, inventory, sandbox, seed, budget, timeout, setup, shard
            )
        moved = tuple(dict.fromkeys((r.setting, r.original) for r in sandbox.redirects))
        hashing = tuple(sandbox.cheap_hashes)
    with stage("checks"):
        findings = run_checks(result.exchanges, result.facts, select=select or None, ignore=ignore)
    report = build_report(
        spec,
        inventory,
        result.exchanges,
        findings,
        seed=seed,
        seconds=result.seconds,
        requests=result.requests,
        notes=result.notes,
        reach=result.reach,
        setup=SandboxSetup(result.schema, moved, hashing),
        checks=checks,
    )
    return report, result, inventory


def check_ids(select: tuple[str, ...], ignore: tuple[str, ...]) -> list[str]:
    """The ids of the checks that run, sorted; a usage error on an unknown id."""
    from testboost.checks import load_checks

    unknown = sorted({*select, *ignore} - load_checks().keys())
    if unknown:
        raise UsageError(
            f"Unknown check id {', '.join(map(repr, unknown))}: use one of "
            f"{', '.join(sorted(load_checks()))}."
        )
    return sorted((set(select) or load_checks().keys()) - set(ignore))


def explore_with_progress(
    app: Flask,
    spec: str,
    inventory: tuple[Route, ...],
    sandbox: Sandbox,
    seed: int,
    budget: float,
    timeout: float,
    setup: tuple[str, ...] = (),
    shard: Shard | None = None,
) -> ProbeResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from testboost.config import load_auth_config, load_setup
    from testboost.explore.runner import explore

    err = make_console(sys.stderr)
    own = [r for r in inventory if r.kind == "view"]
    with Progress(
        TextColumn("probing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("", total=len(own))

        def on_route(route: Route) -> None:
            progress.update(task, advance=1, description=route.rule)

        return explore(
            app,
            spec,
            inventory,
            sandbox,
            seed=seed,
            budget=budget,
            timeout=timeout,
            auth=load_auth_config(),
            on_route=on_route,
            setup=setup or load_setup(),
            shard=shard,
        )


def deliver(
    report: Report,
    fail_on: str,
    json_path: Path | None,
    outputs: Outputs,
    document: dict[str, Any] | None = None,
) -> int:
    """Print the report, write its files, and give the exit status ``--fail-on`` asks for."""
    from testboost.checks import SEVERITIES
    from testboost.report.model import report_document
    from testboost.report.outputs import write_scan_outputs
    from testboost.report.terminal import render_report

    render_report(make_console(), report)
    if json_path is not None:
        write_output(json_path, json_text(document or report_document(report)))
    write_scan_outputs(report, outputs)
    if fail_on == "none":
        return 0
    bar = SEVERITIES.index(fail_on)
    return 1 if any(SEVERITIES.index(f.severity) <= bar for f in report.findings) else 0


def parse_shard_option(text: str | None, jobs: int, json_path: Path | None) -> Shard | None:
    from testboost.shards import parse_shard

    if text is None:
        return None
    if jobs > 1:
        raise UsageError("--jobs and --shard do not go together: --jobs already splits the scan.")
    if json_path is None:
        raise UsageError("--shard needs --json FILE: the shard is kept there for testboost merge.")
    return parse_shard(text)


def shard_part_document(
    spec: str, shard: Shard, seed: int, report: Report, result: ProbeResult
) -> dict[str, Any]:
    from testboost.shards import ShardPart, shard_document

    assert result.tail is not None and report.setup is not None
    part = ShardPart(
        app=spec,
        shard=shard,
        seed=seed,
        exchanges=tuple(result.exchanges),
        facts=result.facts,
        tail=result.tail,
        requests=result.requests,
        seconds=result.seconds,
        schema=result.schema,
        moved=report.setup.moved,
        hashing=report.setup.hashing,
    )
    return shard_document(part)


def scan_in_jobs(
    spec: str,
    allow_db: tuple[str, ...],
    seed: int,
    budget: float,
    timeout: float,
    setup: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    jobs: int,
) -> Report:
    import tempfile

    from testboost.shards import scan_in_processes

    check_ids(select, ignore)
    arguments = ["--app", spec, "--seed", str(seed), "--budget", str(budget)]
    # a shard's own findings are not used (the checks run once on the merge): one cheap check
    arguments += ["--timeout", str(timeout), "--select", "n-plus-one"]
    for command in setup:
        arguments += ["--setup", command]
    for url in allow_db:
        arguments += ["--allow-db", url]
    with tempfile.TemporaryDirectory(prefix="testboost-jobs-") as directory:
        parts = scan_in_processes(arguments, jobs, Path(directory))
    return merged_report(parts, allow_db, select, ignore)


def merged_report(
    parts: list[ShardPart],
    allow_db: tuple[str, ...],
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> Report:
    """One report from every shard of a scan: the app's inventory, the checks over all routes."""
    from testboost.checks import run_checks
    from testboost.report.model import SandboxSetup, build_report
    from testboost.shards import check_complete, merge_parts

    checks = check_ids(select, ignore)
    check_complete(parts)
    spec = parts[0].app
    with loaded_app(spec, allow_db) as (app, _sandbox), stage("inventory"):
        inventory = build_inventory(app)
    merged = merge_parts(inventory, parts)
    with stage("checks"):
        findings = run_checks(merged.exchanges, merged.facts, select=select or None, ignore=ignore)
    first = parts[0]
    return build_report(
        spec,
        inventory,
        merged.exchanges,
        findings,
        seed=first.seed,
        seconds=merged.seconds,
        requests=merged.requests,
        notes=merged.notes,
        reach=merged.reach,
        setup=SandboxSetup(first.schema, first.moved, first.hashing),
        checks=checks,
    )
