"""The report's SVG charts: bars as long as their figures, undefined rates written (never
drawn as zero), every text escaped, valid XML with a title and a description."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports import charts

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & Co'


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 (the module's own output)


def rects(root: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == cls]


def texts(root: ET.Element, cls: str | None = None) -> list[str]:
    return [
        t.text or ""
        for t in root.iter(f"{SVG}text")
        if cls is None or cls in (t.get("class") or "").split()
    ]


def assert_accessible(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img"
    title_el, desc_el = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title_el is not None and title_el.text == title
    assert desc_el is not None and desc_el.text
    assert root.get("aria-labelledby") == f"{title_el.get('id')} {desc_el.get('id')}"
    assert root.get("viewBox", "").startswith("0 0 ")


# ---------- funnel ----------


def test_funnel_bars_follow_counts_and_rates_between_steps() -> None:
    steps = [("Visits", 200), ("Booked", 50), ("Held", 40), ("Follow-up", 20), ("Contract", 10)]
    root = parse(charts.funnel(steps, title="Funnel", fmt_rate=lambda r: f"{r:.0%}"))
    assert_accessible(root, "Funnel")
    widths = [float(r.get("width")) for r in rects(root, "bar")]
    assert widths == [360, 90, 72, 36, 18]
    assert texts(root, "value") == ["200", "50", "40", "20", "10"]
    assert texts(root, "rate") == [
        "25% of the step before",
        "80% of the step before",
        "50% of the step before",
        "50% of the step before",
    ]
    desc = root.find(f"{SVG}desc").text
    assert "Booked: 50 (25% of the step before)" in desc


def test_funnel_without_visits_writes_a_dash_and_no_rate() -> None:
    root = parse(charts.funnel([("Visits", None), ("Booked", 4), ("Held", 0)], title="F"))
    assert len(rects(root, "bar")) == 1  # Booked only: no bar for "not counted" nor for 0
    assert "–" in texts(root, "undefined")
    assert texts(root, "rate") == ["– of the step before", "0% of the step before"]


def test_funnel_all_zero_draws_no_bar_and_divides_by_nothing() -> None:
    root = parse(charts.funnel([("Visits", 0), ("Booked", 0)], title="Empty"))
    assert rects(root, "bar") == []
    assert texts(root, "value") == ["0", "0"]


@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=8))
def test_funnel_lengths_proportional(counts: list[int]) -> None:
    root = parse(charts.funnel([(f"s{i}", c) for i, c in enumerate(counts)], title="t"))
    widths = [float(r.get("width")) for r in rects(root, "bar")]
    assert len(widths) == len(counts)
    for width, count in zip(widths, counts, strict=True):
        assert width == pytest.approx(charts.WIDTH * count / max(counts), abs=0.006)


# ---------- bars ----------


def test_bars_by_group_with_target_line_and_undefined_group() -> None:
    rows = [("Kitchen", 0.5), ("Textiles", None), ("Tools", 0.25), ("Toys", 0.0)]
    root = parse(
        charts.bars(
            rows,
            0.3,
            title="By group",
            fmt_rate=lambda r: f"{r:.0%}",
            details=["5 of 10", "", "1 of 4", "0 of 3"],
            undefined="– no held meetings",
        )
    )
    assert_accessible(root, "By group")
    bars = rects(root, "bar")
    assert [float(b.get("width")) for b in bars] == [180, 90]  # a 0 % rate draws no bar
    assert texts(root, "undefined") == ["– no held meetings"]
    assert texts(root, "value") == [
        "50% · 5 of 10",
        "– no held meetings",
        "25% · 1 of 4",
        "0% · 0 of 3",
    ]
    lines = [e for e in root.iter(f"{SVG}line") if e.get("class") == "target"]
    assert len(lines) == len(rows)  # one dash per row, never across the labels
    assert [float(line.get("x1")) for line in lines] == pytest.approx([108] * len(rows))
    assert texts(root, "target-label") == ["Target 30%"]
    assert texts(root, "tick") == ["0%", "100%"]


def test_bars_scale_grows_past_one_hundred_percent() -> None:
    root = parse(charts.bars([("a", 1.5), ("b", 0.75)], None, title="t"))
    widths = [float(b.get("width")) for b in rects(root, "bar")]
    assert widths == [360, 180]
    assert texts(root, "tick") == ["0%", "150%"]
    assert not [e for e in root.iter(f"{SVG}line") if e.get("class") == "target"]


@given(
    st.lists(
        st.one_of(st.none(), st.floats(min_value=0.001, max_value=3, allow_nan=False)),
        min_size=1,
        max_size=12,
    ),
    st.one_of(st.none(), st.floats(min_value=0.01, max_value=1)),
)
def test_bars_lengths_proportional_and_undefined_never_drawn(
    values: list[float | None], target: float | None
) -> None:
    root = parse(charts.bars([(f"g{i}", v) for i, v in enumerate(values)], target, title="t"))
    defined = [v for v in values if v is not None]
    scale = charts.domain(values, target)
    widths = [float(r.get("width")) for r in rects(root, "bar")]
    assert len(widths) == len(defined)
    for width, value in zip(widths, defined, strict=True):
        assert width == pytest.approx(charts.WIDTH * value / scale, abs=0.006)
    assert len(texts(root, "undefined")) == values.count(None)


# ---------- trend ----------


def test_trend_columns_with_held_counts_and_target() -> None:
    points = [("Jan 2027", 0.2, 10), ("Feb 2027", None, 0), ("Mar 2027", 0.4, 5)]
    root = parse(charts.trend(points, 0.3, title="Trend", fmt_rate=lambda r: f"{r:.0%}"))
    assert_accessible(root, "Trend")
    heights = [float(r.get("height")) for r in rects(root, "bar")]
    assert heights == pytest.approx([170 * 0.2, 170 * 0.4])
    assert texts(root, "held") == ["10 held", "0 held", "5 held"]
    assert texts(root, "label") == ["Jan 2027", "Feb 2027", "Mar 2027"]
    assert texts(root, "undefined") == ["–"]
    assert texts(root, "target-label") == ["Target 30%"]
    assert "Feb 2027: – (0 held)" in root.find(f"{SVG}desc").text


def test_trend_widens_with_many_fairs_and_long_labels() -> None:
    points = [(f"m{i}", 0.1, 1) for i in range(24)]
    root = parse(charts.trend(points, 0.3, title="t"))
    assert float(root.get("width")) == 4 + 88 * 24 + 4
    assert parse(charts.trend([], None, title="t")).get("width") == "400"
    # Japanese months are wider: the columns grow so that neighbours never touch.
    months = [(f"2026年{m}月", 0.5, 10) for m in range(1, 13)]
    root = parse(charts.trend(months, 0.3, title="t"))
    xs = [float(t.get("x")) for t in root.iter(f"{SVG}text") if t.get("class") == "label"]
    gaps = {round(b - a, 2) for a, b in pairwise(xs)}
    assert len(gaps) == 1 and gaps.pop() > charts.text_width("2026年12月")


def test_trend_with_few_fairs_spreads_them_over_the_width() -> None:
    root = parse(charts.trend([("a", 0.5, 1), ("b", 0.2, 1)], 0.3, title="t"))
    xs = [float(t.get("x")) for t in root.iter(f"{SVG}text") if t.get("class") == "label"]
    assert xs == [4 + 98, 4 + 3 * 98]


# ---------- escaping ----------


@pytest.mark.parametrize(
    "make",
    [
        lambda label: charts.funnel([(label, 3)], title=label, rate_label="%(rate)s"),
        lambda label: charts.bars([(label, 0.5)], 0.3, title=label, details=[label]),
        lambda label: charts.trend([(label, 0.5, 2)], 0.3, title=label),
    ],
)
def test_every_text_is_escaped(make) -> None:
    markup = str(make(EVIL))
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    root = parse(markup)  # still well-formed XML
    assert root.find(f"{SVG}title").text == EVIL
    assert EVIL in texts(root, "label") or any(EVIL in t for t in texts(root))


def test_id_prefix_is_escaped_and_used() -> None:
    root = parse(charts.funnel([("a", 1)], title="t", id_prefix='x" onload="y'))
    assert root.get("onload") is None
    assert root.find(f"{SVG}title").get("id") == 'x" onload="y-title'


def test_long_labels_are_cut_to_fit_and_said_in_full() -> None:
    long = "春のテキスタイル・暮らしの道具 オンライン見本市 2026 春のテキスタイル"
    root = parse(charts.bars([(long, 0.5)], 0.3, title="t"))
    [label] = texts(root, "label")
    assert label.endswith("…") and long.startswith(label[:-1])
    assert charts.text_width(label) <= charts.WIDTH
    assert long in root.find(f"{SVG}desc").text
    short = "Kitchen"
    assert charts.fit(short, 100) == short
