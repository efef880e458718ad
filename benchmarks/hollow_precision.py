"""Precision and recall of the hollow-test detector over a labelled corpus.

    .venv/bin/python benchmarks/hollow_precision.py [CORPUS_DIR]

CORPUS_DIR (default ``tests/corpus/hollow``) holds test modules and a ``LABELS.json`` mapping each
test node id, relative to CORPUS_DIR, to its smell or ``null`` for a real test. The table gives,
for each smell and for "hollow" as a whole (any smell against real), the detector's precision
(how many of its reports are right) and recall (how many of the labelled tests it reports), then
lists every test where the detector and the label disagree.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from testboost.audit.smells import SMELLS, scan_paths

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "hollow"


def score(said: set[str], meant: set[str]) -> tuple[float, float]:
    """Precision and recall of the node ids ``said`` against the labelled ones ``meant``."""
    hits = len(said & meant)
    precision = hits / len(said) if said else 1.0
    recall = hits / len(meant) if meant else 1.0
    return precision, recall


def main(corpus: Path) -> int:
    """Print the table for ``corpus``; exit status 1 if the scan and the labels disagree."""
    labels: dict[str, str | None] = json.loads((corpus / "LABELS.json").read_text())
    started = time.perf_counter()
    result = scan_paths([corpus], corpus)
    seconds = time.perf_counter() - started
    found: dict[str, str | None] = dict.fromkeys(result.tests)
    found.update({t.nodeid: t.smell for t in result.hollow})

    rows = []
    for smell in SMELLS:
        said = {n for n, s in found.items() if s == smell}
        meant = {n for n, s in labels.items() if s == smell}
        rows.append((smell, len(meant), len(said), *score(said, meant)))
    said = {n for n, s in found.items() if s is not None}
    meant = {n for n, s in labels.items() if s is not None}
    rows.append(("hollow (any smell)", len(meant), len(said), *score(said, meant)))

    real = sum(1 for s in labels.values() if s is None)
    print(f"corpus: {corpus}")
    print(f"tests: {len(labels)} labelled ({len(meant)} hollow, {real} real), ", end="")
    print(f"{len(result.tests)} collected, scanned in {seconds:.2f}s")
    print()
    print(f"{'smell':<20} {'labelled':>8} {'reported':>8} {'precision':>9} {'recall':>7}")
    for name, labelled, reported, precision, recall in rows:
        print(f"{name:<20} {labelled:>8} {reported:>8} {precision:>9.2f} {recall:>7.2f}")
    exact = sum(1 for n, s in labels.items() if found.get(n, "<not collected>") == s)
    print(f"\nexact label match: {exact}/{len(labels)}")

    disagreements = sorted(
        (n, labels.get(n, "<unlabelled>"), found.get(n, "<not collected>"))
        for n in labels.keys() | found.keys()
        if labels.get(n, "<unlabelled>") != found.get(n, "<not collected>")
    )
    for nodeid, label, got in disagreements:
        print(f"  {nodeid}: labelled {label}, detected {got}")
    for unreadable in result.unreadable:
        print(f"  unreadable {unreadable.file}: {unreadable.reason}")
    return 1 if disagreements or result.unreadable else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS))
