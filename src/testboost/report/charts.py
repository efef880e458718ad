"""Small inline SVG charts for the HTML report: bars, a coverage ring, statement growth.

Each function returns SVG markup sized by its ``viewBox`` (it scales to its container), with a
``<title>`` for screen readers and the numbers written beside the marks, so that the chart reads
without colour and needs no script.

>>> str(bars([("server-error", 3, "high")], label="findings by check"))[:4]
'<svg'
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

_WIDTH = 420
_ROW = 22
_LABEL = 150


def bars(items: Sequence[tuple[str, int, str]], *, label: str) -> Markup:
    """Horizontal bars, one per ``(text, value, css class)``, longest value filling the width."""
    top = max((value for _, value, _ in items), default=0) or 1
    span = _WIDTH - _LABEL - 40
    height = _ROW * len(items) + 4
    rows = []
    for i, (text, value, css) in enumerate(items):
        y = i * _ROW + 2
        width = max(1.0, span * value / top) if value else 0.0
        rows.append(
            f'<text x="{_LABEL - 6}" y="{y + 15}" text-anchor="end">{escape(text)}</text>'
            f'<rect class="bar {escape(css)}" x="{_LABEL}" y="{y + 3}" width="{width:.1f}" '
            f'height="{_ROW - 6}" rx="2"/>'
            f'<text x="{_LABEL + width + 5:.1f}" y="{y + 15}">{value}</text>'
        )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(rows)}</svg>'
    )


def ring(covered: int, total: int, *, label: str) -> Markup:
    """A ring filled to ``covered / total``, the percentage in its middle."""
    share = covered / total if total else 0.0
    radius, circumference = 40, 2 * 3.14159265 * 40
    dash = circumference * share
    return Markup(
        f'<svg class="chart ring" viewBox="0 0 100 100" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        f'<circle class="track" cx="50" cy="50" r="{radius}"/>'
        f'<circle class="fill" cx="50" cy="50" r="{radius}" '
        f'stroke-dasharray="{dash:.1f} {circumference:.1f}" transform="rotate(-90 50 50)"/>'
        f'<text x="50" y="55" text-anchor="middle">{100 * share:.0f}%</text></svg>'
    )


def growth(points: Sequence[tuple[int, int]], *, label: str) -> Markup:
    """Statements run (y) against items listed (x): a line through the points, each labelled."""
    width, height, pad = 420, 170, 30
    max_x = max((x for x, _ in points), default=0) or 1
    max_y = max((y for _, y in points), default=0) or 1

    def at(x: int, y: int) -> tuple[float, float]:
        return (
            pad + (width - 2 * pad) * x / max_x,
            height - pad - (height - 2 * pad) * y / max_y,
        )

    coordinates = [at(x, y) for x, y in points]
    path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coordinates)
    marks = "".join(
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3"/>'
        f'<text x="{cx:.1f}" y="{cy - 7:.1f}" text-anchor="middle">{y}</text>'
        for (cx, cy), (_, y) in zip(coordinates, points, strict=True)
    )
    ticks = "".join(
        f'<text x="{cx:.1f}" y="{height - pad + 14}" text-anchor="middle">{x}</text>'
        for (cx, _), (x, _) in zip(coordinates, points, strict=True)
    )
    return Markup(
        f'<svg class="chart growth" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<line class="axis" x1="{pad}" y1="{height - pad}" x2="{width - pad}" '
        f'y2="{height - pad}"/><polyline points="{path}"/>{marks}{ticks}'
        f'<text x="{width / 2}" y="{height - 2}" text-anchor="middle">items listed</text>'
        f'<text x="4" y="12">SQL statements</text></svg>'
    )
