"""Server-rendered SVG charts for the conversion report: pure functions of their data.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that say what
it shows in words; the page puts a data table next to it as the full accessible
equivalent. Values are written on the bars, so colour never carries a figure alone. A
rate that is undefined (nothing held) is drawn as text ("–"), never as a zero-length bar.

Numbers are formatted by the callables the caller passes (babel in the viewer's locale),
and every caller-supplied text is escaped, so the module needs neither a request nor a
locale. Colours are presentation attributes (the site's CSP forbids inline styles); the
stylesheet may restyle them through the class names.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

CountFormat = Callable[[int], str]
RateFormat = Callable[[float], str]

# The site's palette (static/css/app.css): text, muted text, primary, its soft tint, accent.
TEXT = "#1a2233"
MUTED = "#4b5567"
BAR = "#27358f"
TRACK = "#e8ebf8"
TARGET = "#00695c"
ON_BAR = "#ffffff"

WIDTH = 360  # funnel and bars: a narrow viewBox keeps the text readable on a phone
FONT = 14
DASH = "\u2013"  # "–": an undefined rate
# A text over the track keeps a rim of the track's colour, so a target line crossing it
# is interrupted instead of striking the text through.
HALO = {"stroke": TRACK, "stroke_width": "4", "stroke_linejoin": "round", "paint_order": "stroke"}


def _count(value: int) -> str:
    return f"{value:,}"


def _rate(value: float) -> str:
    return f"{value:.0%}"


def _num(value: float) -> str:
    """A coordinate: short, locale-free, never an exponent."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _text(x: float, y: float, body: str, *, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(v)}"' for name, v in attrs.items()
    )
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{extra}>{escape(body)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, cls: str) -> str:
    return (
        f'<rect class="{cls}" x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" '
        f'height="{_num(h)}" fill="{fill}" rx="2"/>'
    )


def _svg(
    kind: str, width: float, height: float, title: str, desc: str, id_prefix: str, body: list[str]
) -> Markup:
    ident = escape(id_prefix)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart report-chart-{kind}" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" font-size="{FONT}" fill="{TEXT}">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 (every text escaped above)


def domain(values: Sequence[float | None], target: float | None = None) -> float:
    """The scale's upper end for rates: 100 %, or more when a rate exceeds it (visits →
    booking may), rounded up to the next 10 %."""
    top = max([1.0, *(v for v in values if v is not None), target or 0.0])
    return math.ceil(top * 10 - 1e-9) / 10


def text_width(text: str, size: float = FONT) -> float:
    """A generous estimate of a text's width: CJK and other wide characters take a full em,
    the rest a little more than half."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.6 for c in text)


def fit(text: str, width: float, size: float = FONT) -> str:
    """``text`` cut with "…" to fit ``width`` (the page's table has it in full)."""
    if text_width(text, size) <= width:
        return text
    room = width - text_width("…", size)
    kept = ""
    for char in text:
        if text_width(kept + char, size) > room:
            break
        kept += char
    return kept.rstrip() + "…"


def _value_label(x_end: float, y: float, text: str, plot_right: float, room: float = 90) -> str:
    """A value beside its bar's end, or inside the bar (white) when the bar is too long."""
    if x_end + room <= plot_right:
        return _text(x_end + 6, y, text, font_weight="700", class_="value", **HALO)
    return _text(x_end - 6, y, text, anchor="end", fill=ON_BAR, font_weight="700", class_="value")


def funnel(
    steps: Sequence[tuple[str, int | None]],
    *,
    title: str,
    fmt_count: CountFormat = _count,
    fmt_rate: RateFormat = _rate,
    rate_label: str = "%(rate)s of the step before",
    undefined: str = DASH,
    id_prefix: str = "funnel",
) -> Markup:
    """Horizontal bars, one per step (visits → booked → held → follow-up → contract), as
    long as the step's count relative to the largest; each step shows its count and its
    share of the step before. A ``None`` count (not measured) is written, not drawn."""
    row = 54
    height = max(row * len(steps), row) + 4
    largest = max([c for _, c in steps if c is not None] or [0])
    body: list[str] = []
    said: list[str] = []
    previous: int | None = None
    for index, (label, count) in enumerate(steps):
        y = index * row + 4
        rate_text = ""
        if index > 0:
            rate = count / previous if count is not None and previous else None
            rate_text = rate_label % {"rate": fmt_rate(rate) if rate is not None else undefined}
            body.append(_text(WIDTH, y + 13, rate_text, anchor="end", fill=MUTED, class_="rate"))
        room = WIDTH - (text_width(rate_text) + 12 if rate_text else 0)
        body.append(_text(0, y + 13, fit(label, room), font_weight="600", class_="label"))
        body.append(_rect(0, y + 20, WIDTH, 24, TRACK, "track"))
        if count is None:
            shown = undefined
            body.append(_text(6, y + 37, shown, fill=MUTED, class_="value undefined"))
        else:
            shown = fmt_count(count)
            length = WIDTH * count / largest if largest else 0.0
            if length > 0:
                body.append(_rect(0, y + 20, length, 24, BAR, "bar"))
            body.append(_value_label(length, y + 37, shown, WIDTH, room=text_width(shown) + 12))
        said.append(f"{label}: {shown}" + (f" ({rate_text})" if rate_text else ""))
        previous = count
    return _svg("funnel", WIDTH, height, title, "; ".join(said), id_prefix, body)


def bars(
    rows: Sequence[tuple[str, float | None]],
    target: float | None,
    *,
    title: str,
    fmt_rate: RateFormat = _rate,
    details: Sequence[str] | None = None,
    target_label: str = "Target %(rate)s",
    undefined: str = f"{DASH} no held meetings",
    id_prefix: str = "bars",
) -> Markup:
    """One horizontal bar per group, its length the rate on a 0–100 % scale, the rate
    written at its end (with ``details[i]``, e.g. "3 of 9", after it), and a dashed line at
    the target. An undefined rate is the text ``undefined`` and no bar."""
    top_pad, row, axis = 22, 48, 20
    height = top_pad + max(len(rows), 1) * row + axis
    scale = domain([v for _, v in rows], target)
    # Drawn in layers: tracks and bars, then the target line, then every text on top.
    shapes: list[str] = []
    lines: list[str] = []
    words: list[str] = []
    said: list[str] = []
    for index, (label, value) in enumerate(rows):
        y = top_pad + index * row
        detail = details[index] if details and index < len(details) else ""
        words.append(_text(0, y + 13, fit(label, WIDTH), font_weight="600", class_="label"))
        shapes.append(_rect(0, y + 19, WIDTH, 20, TRACK, "track"))
        if value is None:
            words.append(_text(6, y + 34, undefined, fill=MUTED, class_="value undefined", **HALO))
            said.append(f"{label}: {undefined}")
            continue
        length = WIDTH * value / scale
        shown = fmt_rate(value) + (f" · {detail}" if detail else "")
        if length > 0:
            shapes.append(_rect(0, y + 19, length, 20, BAR, "bar"))
        words.append(_value_label(length, y + 34, shown, WIDTH, room=text_width(shown) + 12))
        said.append(f"{label}: {shown}")
    if target is not None:
        x = WIDTH * target / scale
        target_words = target_label % {"rate": fmt_rate(target)}
        anchor = "end" if x > WIDTH * 0.6 else "start"
        # Across each bar's track only, so that the line never strikes through a label.
        for index in range(max(len(rows), 1)):
            y = top_pad + index * row
            lines.append(
                f'<line class="target" x1="{_num(x)}" y1="{y + 16}" x2="{_num(x)}" '
                f'y2="{y + 42}" stroke="{TARGET}" stroke-width="2" stroke-dasharray="4 2"/>'
            )
        words.append(
            _text(
                x + (4 if anchor == "start" else -4),
                13,
                target_words,
                anchor=anchor,
                fill=TARGET,
                font_weight="700",
                class_="target-label",
            )
        )
        said.append(target_words)
    bottom = top_pad + max(len(rows), 1) * row + 14
    words.append(_text(0, bottom, fmt_rate(0.0), fill=MUTED, class_="tick"))
    words.append(_text(WIDTH, bottom, fmt_rate(scale), anchor="end", fill=MUTED, class_="tick"))
    body = shapes + lines + words
    return _svg("bars", WIDTH, height, title, "; ".join(said), id_prefix, body)


def trend(
    points: Sequence[tuple[str, float | None, int]],
    target: float | None,
    *,
    title: str,
    fmt_rate: RateFormat = _rate,
    fmt_count: CountFormat = _count,
    held_label: str = "%(count)s held",
    target_label: str = "Target %(rate)s",
    undefined: str = DASH,
    id_prefix: str = "trend",
) -> Markup:
    """Conversion over the fairs, oldest first: a column per fair as tall as its rate, the
    rate above it, the fair and its number of held meetings below. An undefined rate is
    "–" on the baseline. As wide as its fairs need: wider than 400, it has the class
    ``report-chart-scroll`` and the page scrolls it sideways."""
    left, right, bar = 4, 4, 44
    # Each fair's column is as wide as its longest text (month or "n held") needs; the
    # columns share out the minimum width when there are few.
    needed = max(
        [88.0]
        + [
            max(text_width(lb), text_width(held_label % {"count": fmt_count(h)})) + 12
            for lb, _v, h in points
        ]
    )
    column = max(needed, (400 - left - right) / max(len(points), 1))
    top, plot, under = 40, 170, 44
    width = max(400, left + column * len(points) + right)
    height = top + plot + under
    baseline = top + plot
    scale = domain([v for _, v, _ in points], target)
    halo = {**HALO, "stroke": ON_BAR}  # the chart stands on white
    body: list[str] = [
        f'<line class="axis" x1="0" y1="{baseline}" x2="{_num(width)}" y2="{baseline}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    ]
    said: list[str] = []
    target_words = ""
    if target is not None:
        # Under the columns and their figures, which keep a white rim where it crosses them.
        y = baseline - plot * target / scale
        target_words = target_label % {"rate": fmt_rate(target)}
        body.append(
            f'<line class="target" x1="0" y1="{_num(y)}" x2="{_num(width)}" y2="{_num(y)}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="5 3"/>'
        )
    texts: list[str] = []
    for index, (label, value, held) in enumerate(points):
        x = left + index * column
        middle = x + column / 2
        held_text = held_label % {"count": fmt_count(held)}
        if value is None:
            shown = undefined
            texts.append(
                _text(
                    middle,
                    baseline - 6,
                    shown,
                    anchor="middle",
                    fill=MUTED,
                    class_="value undefined",
                    **halo,
                )
            )
        else:
            tall = plot * value / scale
            if tall > 0:
                body.append(_rect(middle - bar / 2, baseline - tall, bar, tall, BAR, "bar"))
            shown = fmt_rate(value)
            texts.append(
                _text(
                    middle,
                    baseline - tall - 6,
                    shown,
                    anchor="middle",
                    font_weight="700",
                    class_="value",
                    **halo,
                )
            )
        texts.append(
            _text(middle, baseline + 17, fit(label, column - 8), anchor="middle", class_="label")
        )
        texts.append(
            _text(middle, baseline + 35, held_text, anchor="middle", fill=MUTED, class_="held")
        )
        said.append(f"{label}: {shown} ({held_text})")
    if target is not None:
        # A legend above the plot, where no column reaches: a piece of the line, its words.
        texts.append(
            f'<line class="target" x1="{left}" y1="10" x2="{left + 24}" y2="10" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="5 3"/>'
        )
        texts.append(
            _text(
                left + 30, 15, target_words, fill=TARGET, font_weight="700", class_="target-label"
            )
        )
        said.append(target_words)
    body += texts
    # More fairs than the minimum width holds: drawn at full size, for scrolling sideways.
    kind = "trend report-chart-scroll" if width > 400 else "trend"
    return _svg(kind, width, height, title, "; ".join(said), id_prefix, body)
