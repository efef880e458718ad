"""How many regressions does the generated suite catch? Mutation score and line coverage.

Copies a bundled app (default ``examples/shopapi_fixed``) into a temporary directory (cosmic-ray
edits files in place), runs ``testboost generate`` on the copy, measures the line coverage of the
app's code under the generated suite with coverage.py, then applies cosmic-ray to the app's view
modules (the modules that register routes) and runs the generated suite against every mutant.
mutmut 3 skips decorated functions, so it cannot mutate Flask views; cosmic-ray can.

    python benchmarks/mutation.py                      # every mutant (~20 min on 2 cores)
    python benchmarks/mutation.py --sample 150         # a fixed sample of mutants, quicker
    python benchmarks/mutation.py --coverage-only      # just the coverage figure

cosmic-ray is installed into its own virtualenv under ``benchmarks/.cache/cosmic-ray`` (never into
the project's). The mutants run in ``--workers`` copies side by side. Prints one line::

    mutation score 78.3% (714 of 912 mutants killed) | line coverage 94.4% of shopapi_fixed

Targets (issue 4): mutation score >= 70%, coverage >= 90%.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
COSMIC_VENV = CACHE / "cosmic-ray"
SUITE = "tests_generated"


@dataclass(frozen=True)
class Score:
    """Mutants killed, survived and unusable (the mutated module failed to import or build)."""

    killed: int
    survived: int
    incompetent: int
    survivors: tuple[str, ...]

    @property
    def total(self) -> int:
        """Mutants whose outcome counts: killed plus survived."""
        return self.killed + self.survived

    @property
    def percent(self) -> float:
        """Killed mutants as a share of those that count."""
        return 100.0 * self.killed / self.total if self.total else 0.0


def run(command: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command, its output captured."""
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


def cosmic_ray() -> Path:
    """The cosmic-ray executable of its own virtualenv, installed on first use."""
    executable = COSMIC_VENV / "bin" / "cosmic-ray"
    if not executable.exists():
        print("installing cosmic-ray into benchmarks/.cache/cosmic-ray ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(COSMIC_VENV)], check=True)
        subprocess.run(
            [str(COSMIC_VENV / "bin" / "pip"), "install", "-q", "cosmic-ray"], check=True
        )
    return executable


def view_modules(package: Path) -> list[Path]:
    """The modules of a package that register routes (blueprints or ``.route`` decorators)."""
    found = []
    for path in sorted(package.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if ".route(" in text or "Blueprint(" in text:
            found.append(path)
    return found


def generate(workdir: Path, package: str, seed: int) -> None:
    """``testboost generate`` for the copied app, in the copy's directory."""
    completed = run(
        [
            sys.executable,
            "-m",
            "testboost",
            "generate",
            "--app",
            f"{package}:create_app()",
            "--out",
            SUITE,
            "--seed",
            str(seed),
        ],
        workdir,
        env={**os.environ, "NO_COLOR": "1"},
    )
    if completed.returncode != 0:
        sys.exit(f"testboost generate failed:\n{completed.stdout}\n{completed.stderr}")
    print(completed.stdout.strip().splitlines()[-1], file=sys.stderr)


def pytest_command() -> list[str]:
    """The generated suite, stopping at the first failure (a killed mutant needs no more)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        SUITE,
    ]


def line_coverage(workdir: Path, package: str) -> float:
    """Percent of the app's lines the generated suite runs (coverage.py)."""
    data = workdir / ".coverage"
    completed = run(
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            f"--data-file={data}",
            f"--source={package}",
            "-m",
            *pytest_command()[2:],
        ],
        workdir,
    )
    if completed.returncode != 0:
        sys.exit(f"the generated suite fails on the unchanged app:\n{completed.stdout[-3000:]}")
    report = workdir / "coverage.json"
    run(
        [sys.executable, "-m", "coverage", "json", f"--data-file={data}", "-o", str(report)],
        workdir,
    )
    totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    return float(totals["percent_covered"])


def _config(modules: list[str], timeout: float) -> str:
    command = " ".join(pytest_command())
    listed = ", ".join(json.dumps(m) for m in modules)
    return (
        "[cosmic-ray]\n"
        f"module-path = [{listed}]\n"
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n'
    )


def _sample(session: Path, keep: set[str]) -> None:
    """Drop the work items not in ``keep`` from a cosmic-ray session."""
    connection = sqlite3.connect(session)
    try:
        jobs = [row[0] for row in connection.execute("SELECT job_id FROM work_items")]
        dropped = [(job,) for job in jobs if job not in keep]
        connection.executemany("DELETE FROM mutation_specs WHERE job_id = ?", dropped)
        connection.executemany("DELETE FROM work_items WHERE job_id = ?", dropped)
        connection.commit()
    finally:
        connection.close()


def _jobs(session: Path) -> list[tuple[str, str, int, str, int]]:
    connection = sqlite3.connect(session)
    try:
        return list(
            connection.execute(
                "SELECT job_id, module_path, start_pos_row, operator_name, occurrence "
                "FROM mutation_specs"
            )
        )
    finally:
        connection.close()


def _score(session: Path) -> Score:
    connection = sqlite3.connect(session)
    try:
        rows = list(
            connection.execute(
                "SELECT r.worker_outcome, r.test_outcome, s.module_path, s.start_pos_row, "
                "s.operator_name FROM work_results r JOIN mutation_specs s USING (job_id)"
            )
        )
    finally:
        connection.close()
    killed = survived = incompetent = 0
    survivors = []
    for worker_outcome, test_outcome, module, line, operator in rows:
        worker, test = str(worker_outcome).lower(), str(test_outcome).lower()
        if test == "killed" or worker == "timeout":
            killed += 1
        elif test == "survived":
            survived += 1
            survivors.append(f"{module}:{line} {operator}")
        else:
            incompetent += 1
    return Score(killed, survived, incompetent, tuple(sorted(survivors)))


def mutation_score(
    workdir: Path, package: str, workers: int, sample: int, seed: int, timeout: float
) -> Score:
    """Run cosmic-ray over the app's view modules in ``workers`` copies side by side."""
    executable = cosmic_ray()
    modules = [str(p.relative_to(workdir)) for p in view_modules(workdir / package)]
    probe = workdir / "all.sqlite"
    (workdir / "all.toml").write_text(_config(modules, timeout), encoding="utf-8")
    run([str(executable), "init", "all.toml", probe.name], workdir)
    # cosmic-ray's job ids are random: the sample is drawn from the mutants in source order, so
    # the same --seed picks the same mutants in every run
    jobs = sorted(_jobs(probe), key=lambda j: (j[1], j[2], j[3], j[4]))
    if sample and sample < len(jobs):
        jobs = sorted(random.Random(seed).sample(jobs, sample))
    print(f"{len(jobs)} mutants in {len(modules)} view modules", file=sys.stderr)
    shares: list[list[str]] = [[] for _ in range(workers)]
    for index, job in enumerate(sorted(jobs, key=lambda j: (j[1], j[2], j[3], j[4]))):
        shares[index % workers].append(job[0])
    sessions = []
    for number, share in enumerate(shares):
        copy = workdir.parent / f"worker-{number}"
        shutil.copytree(workdir, copy, ignore=shutil.ignore_patterns("*.sqlite", ".coverage*"))
        session = copy / "session.sqlite"
        shutil.copy(probe, session)
        _sample(session, set(share))
        sessions.append(session)

    def execute(session: Path) -> None:
        run([str(executable), "exec", "all.toml", session.name], session.parent)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(execute, sessions))
    print(f"mutants ran in {time.monotonic() - started:.0f} s", file=sys.stderr)
    scores = [_score(session) for session in sessions]
    return Score(
        sum(s.killed for s in scores),
        sum(s.survived for s in scores),
        sum(s.incompetent for s in scores),
        tuple(sorted(x for s in scores for x in s.survivors)),
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, print the one-line result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-dir", type=Path, default=ROOT / "examples" / "shopapi_fixed")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=0, help="mutants to run (0: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of testboost and the sample")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    parser.add_argument("--coverage-only", action="store_true")
    parser.add_argument("--survivors", type=Path, help="write the surviving mutants to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args(argv)
    package = options.app_dir.name
    base = Path(tempfile.mkdtemp(prefix="testboost-mutation-"))
    workdir = base / "app"
    try:
        workdir.mkdir()
        shutil.copytree(
            options.app_dir,
            workdir / package,
            ignore=shutil.ignore_patterns("__pycache__", "tests"),
        )
        generate(workdir, package, options.seed)
        coverage = line_coverage(workdir, package)
        if options.coverage_only:
            print(f"line coverage {coverage:.1f}% of {package}")
            return 0
        score = mutation_score(
            workdir, package, max(1, options.workers), options.sample, options.seed, options.timeout
        )
        if options.survivors is not None:
            options.survivors.write_text("\n".join(score.survivors) + "\n", encoding="utf-8")
        print(
            f"mutation score {score.percent:.1f}% ({score.killed} of {score.total} mutants killed"
            f"{f', {score.incompetent} unusable' if score.incompetent else ''}) | "
            f"line coverage {coverage:.1f}% of {package}"
        )
        return 0
    finally:
        if options.keep:
            print(f"kept {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
