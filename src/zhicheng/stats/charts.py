"""Plain SVG charts rendered on the server: grouped bars and lines, Chinese labels, no JavaScript.

Written here rather than taken from a plotting library: what the pages need is two chart kinds with
Chinese text, accessible names and stable output a test can parse — a few hundred lines — while
matplotlib/pygal would add a large dependency, its own font discovery (CJK fonts are rarely installed
on servers; an SVG leaves the font to the browser) and markup we would have to post-process for
``<title>``/``<desc>``.

Accessibility: the ``<svg>`` has ``role="img"`` and ``aria-labelledby`` pointing at its ``<title>`` (the
chart's name) and ``<desc>`` (the data in words); every bar and point carries its own ``<title>`` (shown as a
tooltip) with the exact value.  Colours are the Okabe–Ito palette (distinguishable with colour-vision
deficiency); values are also printed, so nothing depends on colour alone.  Only presentation attributes are
used (no ``style`` attributes or ``<style>``), so the markup is allowed under a strict Content-Security-Policy
when embedded in a page.

Use::

    from zhicheng.stats.charts import bar_chart, line_chart, stats_chart
    svg = bar_chart("各标准申报数", ["人工智能", "量子信息"], [("2025年", [12, 3]), ("2026年", [15, 4])])
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from zhicheng.stats.queries import DIMENSIONS, METRICS, Stats

__all__ = ["PALETTE", "bar_chart", "format_value", "line_chart", "stats_chart"]

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FONT = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif"
FONT_SIZE = 12
TITLE_SIZE = 16
Series = tuple[str, Sequence[float | None]]
Formatter = Callable[[float], str]


def format_value(value: float, percent: bool = False, digits: int = 1) -> str:
    if percent:
        return f"{value * 100:.{digits}f}%"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _text_width(text: str, size: float = FONT_SIZE) -> float:
    """Approximate rendered width: East Asian wide characters one em, others about 0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def _fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    if _text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if _text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def _nice_step(top: float, ticks: int = 5) -> float:
    raw = top / ticks
    power: float = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def _axis(values: Sequence[float], percent: bool) -> tuple[float, float]:
    """(top, step) of the value axis: a round top at or above the largest value."""
    largest = max(values, default=0.0)
    if percent:
        return 1.0, 0.2
    if largest <= 0:
        return 1.0, 1.0
    step = _nice_step(largest)
    if step < 1:  # counts: whole steps
        step = 1.0
    return math.ceil(largest / step) * step, step


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _describe(title: str, labels: Sequence[str], series: Sequence[Series], fmt: Formatter, limit: int = 80) -> str:
    parts = []
    for name, values in series:
        items = [f"{label} {fmt(v) if v is not None else '无数据'}" for label, v in zip(labels, values, strict=False)]
        parts.append(f"{name}：" + "、".join(items) if name else "、".join(items))
    text = "；".join(parts)
    count = sum(len(v) for _, v in series)
    if count > limit:
        text = text[:600] + "……（完整数据见统计表）"
    return f"{title}。{text}。" if text else f"{title}：无数据。"


def _uid(*parts: object) -> str:
    return "c" + hashlib.sha256(repr(parts).encode()).hexdigest()[:10]


class _Canvas:
    """Collects SVG elements; coordinates in user units (= CSS pixels at width/height)."""

    def __init__(self, width: int, height: int, title: str, desc: str, uid: str) -> None:
        self.width, self.height, self.uid = width, height, uid
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-labelledby="{uid}-title {uid}-desc" font-family="{FONT}" '
            f'font-size="{FONT_SIZE}">',
            f'<title id="{uid}-title">{escape(title)}</title>',
            f'<desc id="{uid}-desc">{escape(desc)}</desc>',
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
            f'<text x="{width / 2:.1f}" y="{TITLE_SIZE + 8}" text-anchor="middle" font-size="{TITLE_SIZE}" '
            f'font-weight="bold" fill="#222222">{escape(title)}</text>',
        ]

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        anchor: str = "middle",
        size: float = FONT_SIZE,
        fill: str = "#333333",
        full: str | None = None,
        rotate: float | None = None,
    ) -> None:
        transform = f' transform="rotate({_num(rotate)} {_num(x)} {_num(y)})"' if rotate else ""
        tip = f"<title>{escape(full)}</title>" if full and full != text else ""
        self.add(
            f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{_num(size)}" '
            f'fill="{fill}" stroke="none"{transform}>{tip}{escape(text)}</text>'
        )

    def done(self) -> str:
        return "\n".join([*self.parts, "</svg>"]) + "\n"


def _frame(
    canvas: _Canvas,
    left: float,
    top: float,
    right: float,
    bottom: float,
    axis_top: float,
    step: float,
    tick_fmt: Formatter,
    y_label: str,
) -> Callable[[float], float]:
    """Grid lines, value labels and axis; returns value → y coordinate."""

    def y_of(v: float) -> float:
        return bottom - (bottom - top) * (v / axis_top if axis_top else 0.0)

    canvas.add('<g fill="none" stroke="#dddddd" stroke-width="1">')
    ticks = round(axis_top / step)
    for i in range(ticks + 1):
        y = y_of(i * step)
        canvas.add(f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}"/>')
    canvas.add("</g>")
    for i in range(ticks + 1):
        canvas.text(left - 6, y_of(i * step) + 4, tick_fmt(i * step), anchor="end", fill="#555555")
    canvas.add(f'<line x1="{_num(left)}" y1="{_num(bottom)}" x2="{_num(right)}" y2="{_num(bottom)}" stroke="#333333"/>')
    if y_label:
        canvas.text(14, (top + bottom) / 2, y_label, rotate=-90, fill="#555555")
    return y_of


def _legend(canvas: _Canvas, names: Sequence[str], y: float, marker: str = "rect") -> None:
    """One row of swatches and names, centred; wraps onto further rows when wide."""
    items = [(name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(names)]
    widths = [_text_width(n) + 28 for n, _ in items]
    rows: list[list[int]] = [[]]
    used = 0.0
    for i, w in enumerate(widths):
        if rows[-1] and used + w > canvas.width - 40:
            rows.append([])
            used = 0.0
        rows[-1].append(i)
        used += w
    canvas.add('<g aria-hidden="true">')
    for r, row in enumerate(rows):
        total = sum(widths[i] for i in row)
        x = (canvas.width - total) / 2
        yy = y + r * 18
        for i in row:
            name, colour = items[i]
            if marker == "rect":
                canvas.add(f'<rect x="{_num(x)}" y="{_num(yy - 10)}" width="12" height="12" fill="{colour}"/>')
            else:
                canvas.add(
                    f'<line x1="{_num(x)}" y1="{_num(yy - 4)}" x2="{_num(x + 14)}" y2="{_num(yy - 4)}" '
                    f'stroke="{colour}" stroke-width="2"/><circle cx="{_num(x + 7)}" cy="{_num(yy - 4)}" r="3" '
                    f'fill="{colour}"/>'
                )
            canvas.text(x + 18, yy, name, anchor="start")
            x += widths[i]
    canvas.add("</g>")


def _legend_height(names: Sequence[str], width: int) -> float:
    if len(names) <= 1:
        return 0.0
    rows, used = 1, 0.0
    for n in names:
        w = _text_width(n) + 28
        if used and used + w > width - 40:
            rows, used = rows + 1, 0.0
        used += w
    return rows * 18 + 6


def _category_labels(labels: Sequence[str], slot: float) -> tuple[list[str], bool, float]:
    """Labels that fit under their slot: as they are, or rotated 35° (truncated to 10 em); extra bottom space."""
    if all(_text_width(label) <= slot - 4 for label in labels):
        return list(labels), False, 22.0
    fitted = [_fit(label, FONT_SIZE * 10) for label in labels]
    longest = max((_text_width(t) for t in fitted), default=0.0)
    return fitted, True, 18 + longest * math.sin(math.radians(35))


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool = False,
    y_label: str = "",
    width: int = 760,
    height: int = 380,
    desc: str | None = None,
    uid: str | None = None,
) -> str:
    """Grouped bar chart: one group per category, one bar per series (e.g. per year) in each group.

    ``series`` is ``[(name, values)]`` with one value per category (``None``: no data, no bar).  ``percent``
    shows values 0–1 as percentages.  Every bar is a ``<rect class="bar">`` with a ``<title>``.
    """
    fmt: Formatter = lambda v: format_value(v, percent)  # noqa: E731 - a one-line formatter
    uid = uid or _uid("bar", title, list(categories), [(n, list(v)) for n, v in series])
    canvas = _Canvas(width, height, title, desc or _describe(title, categories, series, fmt), uid)
    values = [v for _, vs in series for v in vs if v is not None]
    if not categories or not series:
        canvas.text(width / 2, height / 2, "无数据", fill="#777777")
        return canvas.done()
    axis_top, step = _axis(values, percent)
    left = 16 + max(_text_width(fmt(axis_top)), _text_width(fmt(step))) + 10 + (16 if y_label else 0)
    right = width - 16
    legend_h = _legend_height([n for n, _ in series], width)
    slot = (right - left) / len(categories)
    labels, rotated, label_h = _category_labels(categories, slot)
    top = TITLE_SIZE + 24 + legend_h
    bottom = height - label_h - 8
    if bottom - top < 80:  # very long labels: give the plot its minimum height back
        bottom = top + 80
    y_of = _frame(canvas, left, top, right, bottom, axis_top, step, lambda v: format_value(v, percent, 0), y_label)
    if legend_h:
        _legend(canvas, [n for n, _ in series], TITLE_SIZE + 26)
    gap = slot * 0.2
    bar_w = (slot - gap) / len(series)
    for s, (name, vs) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        canvas.add(f'<g class="series" fill="{colour}">')
        for c, category in enumerate(categories):
            v = vs[c] if c < len(vs) else None
            if v is None:
                continue
            x = left + c * slot + gap / 2 + s * bar_w
            y = y_of(v)
            label = f"{category}" + (f" · {name}" if name else "") + f"：{fmt(v)}"
            canvas.add(
                f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(max(bar_w - 1, 1))}" '
                f'height="{_num(max(bottom - y, 0))}"><title>{escape(label)}</title></rect>'
            )
            if bar_w >= _text_width(fmt(v), 10) * 0.8 or len(series) * len(categories) <= 12:
                canvas.text(x + bar_w / 2, y - 3, fmt(v), size=10, fill="#333333")
        canvas.add("</g>")
    for c, (label, full) in enumerate(zip(labels, categories, strict=True)):
        x = left + (c + 0.5) * slot
        if rotated:
            canvas.text(x, bottom + 14, label, anchor="end", rotate=-35, full=full)
        else:
            canvas.text(x, bottom + 16, label, full=full)
    return canvas.done()


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool = False,
    y_label: str = "",
    width: int = 760,
    height: int = 380,
    desc: str | None = None,
    uid: str | None = None,
) -> str:
    """Line chart over ``x_labels`` (e.g. years), one line per series; a missing value (``None``) breaks the
    line.  Every point is a ``<circle class="point">`` with a ``<title>``."""
    fmt: Formatter = lambda v: format_value(v, percent)  # noqa: E731
    uid = uid or _uid("line", title, list(x_labels), [(n, list(v)) for n, v in series])
    canvas = _Canvas(width, height, title, desc or _describe(title, x_labels, series, fmt), uid)
    values = [v for _, vs in series for v in vs if v is not None]
    if not x_labels or not series:
        canvas.text(width / 2, height / 2, "无数据", fill="#777777")
        return canvas.done()
    axis_top, step = _axis(values, percent)
    left = 16 + max(_text_width(fmt(axis_top)), _text_width(fmt(step))) + 10 + (16 if y_label else 0)
    right = width - 24
    legend_h = _legend_height([n for n, _ in series], width)
    top = TITLE_SIZE + 24 + legend_h
    bottom = height - 30
    y_of = _frame(canvas, left, top, right, bottom, axis_top, step, lambda v: format_value(v, percent, 0), y_label)
    if legend_h:
        _legend(canvas, [n for n, _ in series], TITLE_SIZE + 26, marker="line")
    n = len(x_labels)
    slot = (right - left) / n

    def x_of(i: int) -> float:
        return left + (i + 0.5) * slot

    for s, (name, vs) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        canvas.add(f'<g class="series" stroke="{colour}" fill="{colour}">')
        run: list[str] = []
        runs: list[list[str]] = []
        for i in range(n):
            v = vs[i] if i < len(vs) else None
            if v is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{_num(x_of(i))},{_num(y_of(v))}")
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                canvas.add(f'<polyline fill="none" stroke-width="2" points="{" ".join(points)}"/>')
        for i in range(n):
            v = vs[i] if i < len(vs) else None
            if v is None:
                continue
            label = f"{x_labels[i]}" + (f" · {name}" if name else "") + f"：{fmt(v)}"
            canvas.add(
                f'<circle class="point" cx="{_num(x_of(i))}" cy="{_num(y_of(v))}" r="3.5">'
                f"<title>{escape(label)}</title></circle>"
            )
            if len(series) <= 3:
                canvas.text(x_of(i), y_of(v) - 7, fmt(v), size=10, fill=colour)
        canvas.add("</g>")
    for i, label in enumerate(x_labels):
        canvas.text(x_of(i), bottom + 16, _fit(label, slot - 4), full=label)
    return canvas.done()


def stats_chart(stats: Stats, metric: str = "applications", kind: str = "bar", *, top: int = 12) -> str:
    """The chart of a :class:`Stats`: ``bar`` = groups on the axis, one bar per year (year over year);
    ``line`` = years on the axis, one line per group.  At most ``top`` groups (the largest); the rest are
    in the table and the .xlsx."""
    if metric not in METRICS:
        raise ValueError(f"metric 应为 {'、'.join(METRICS)}")
    percent = metric == "pass_rate"
    groups = stats.groups[:top]
    name = METRICS[metric]
    span = f"（{stats.years[0]}–{stats.years[-1]}年）" if len(stats.years) > 1 else ""
    title = f"按{DIMENSIONS[stats.by]}统计的{name}{span}"
    if kind == "bar":
        series: list[Series] = [(f"{y}年", [stats.cell(k, y).value(metric) for k, _ in groups]) for y in stats.years]
        return bar_chart(title, [label for _, label in groups], series, percent=percent, y_label=name)
    if kind == "line":
        lines: list[Series] = [(label, [stats.cell(k, y).value(metric) for y in stats.years]) for k, label in groups]
        return line_chart(title, [f"{y}年" for y in stats.years], lines, percent=percent, y_label=name)
    raise ValueError("kind 应为 bar 或 line")
