"""Comparison: year-over-year changes with a fixture that adds 2021 rows, the compare page's deltas
and URL state, every page with the 2021 rows, and the 2021 goals that continue a 2020 section.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from conftest import SHIPPED, assert_no_exception, new_app, open_page, start_on

from townboard import compare
from townboard.data import load
from townboard.validate import split_ids

# 2020 id -> its 2021 value (same section, topic, indicator, scope and unit; another value)
NEW_2021 = {"DJ-004": "645.18", "ST-002": "1500", "MS-005": "92.5"}


def read_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def write_rows(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8-sig")


def add_2021_rows(data_dir: Path, new: dict[str, str] = NEW_2021, **changed: dict[str, str]) -> None:
    path = data_dir / "indicators.csv"
    rows = read_rows(path)
    by_id = {r["id"]: r for r in rows}
    for old_id, value in new.items():
        row = dict(by_id[old_id]) | {
            "id": f"{old_id}-2021",
            "year": "2021",
            "value": value,
            "source": f"2021年总结：{by_id[old_id]['indicator']}{value}{by_id[old_id]['unit']}",
            "note": "",
            "parent": "",
        }
        row |= changed.get(old_id, {})
        rows.append(row)
    write_rows(path, rows)


@pytest.fixture
def data_2021(data_dir) -> Path:
    add_2021_rows(data_dir)
    return data_dir


# ---------------------------------------------------------------- compare.changes


def test_changes_are_exact(data_2021):
    bundle = load(data_2021)
    assert bundle.ok, bundle.errors
    ch = compare.changes(bundle.indicators).set_index("indicator")
    assert len(ch) == 3
    income = ch.loc["村集体收入（14个村合计）"]
    assert (income["from_year"], income["to_year"]) == (2020, 2021)
    assert (income["from_value"], income["to_value"]) == (537.65, 645.18)
    assert income["change"] == pytest.approx(107.53, abs=1e-9)
    assert income["pct_change"] == pytest.approx(20.0, abs=1e-9)  # 645.18 = 537.65 × 1.2
    assert income["ids"] == ["DJ-004", "DJ-004-2021"]
    houses = ch.loc["拆除“空心房”主房栋数"]
    assert houses["change"] == -101
    assert houses["pct_change"] == pytest.approx(-6.3085571517801, abs=1e-9)  # −101 / 1601
    rate = ch.loc["城乡居民养老保险征缴率"]
    assert rate["change"] == pytest.approx(4.55, abs=1e-9)  # percentage points
    assert rate["pct_change"] == pytest.approx(5.1733939738488, abs=1e-9)  # 4.55 / 87.95


def test_only_the_same_section_topic_indicator_and_scope_make_a_series(data_dir):
    # a 2021 row for another road (other scope) and one in another topic are not a change
    add_2021_rows(
        data_dir,
        {"XM-007": "3.1", "DJ-004": "600", "CY-001": "4000"},
        **{"XM-007": {"scope": "铁石口至坝高"}, "CY-001": {"topic": "2021年新专题"}},
    )
    ch = compare.changes(load(data_dir).indicators)
    assert list(ch["indicator"]) == ["村集体收入（14个村合计）"]


def test_change_from_zero_has_no_percentage():
    ind = pd.DataFrame(
        {
            "id": ["A", "B", "C", "D"],
            "year": [2020, 2021, 2020, 2021],
            "section": "板块",
            "topic": "专题",
            "indicator": ["从零开始", "从零开始", "翻番", "翻番"],
            "scope": "",
            "unit": "个",
            "value": [0.0, 5.0, 2.0, 4.0],
        }
    )
    ch = compare.changes(ind).set_index("indicator")
    assert ch.loc["从零开始", "change"] == 5
    assert pd.isna(ch.loc["从零开始", "pct_change"])
    assert ch.loc["翻番", "pct_change"] == 100


def test_single_year_data_has_no_changes():
    assert compare.changes(load(SHIPPED).indicators).empty


# ---------------------------------------------------------------- the compare page


def chart_rows(el) -> list[dict]:
    rows = []
    for ds in el.proto.datasets:
        rows += pa.ipc.open_stream(ds.data.data).read_all().to_pylist()
    return rows


def compare_page(url: dict | None = None):
    at = start_on("compare", url)
    assert_no_exception(at)
    return at


def test_compare_page_shows_the_deltas(data_2021):
    at = compare_page()
    assert "3 项指标有多个年份的数据" in [c.value for c in at.caption]
    m = {x.label: x for x in at.metric}
    income = m["村集体收入（14个村合计）（党建引领，2020→2021）"]
    assert income.value == "645.18万元"
    assert income.delta == "+107.53万元（+20.0%）"
    houses = m["拆除“空心房”主房栋数（生态环境，2020→2021）"]
    assert houses.value == "1,500栋"
    assert houses.delta.startswith("−101栋") and "6.3%" in houses.delta
    rate = m["城乡居民养老保险征缴率（民生保障，2020→2021）"]
    assert rate.value == "92.5%" and rate.delta.startswith("+4.55%")
    # the arrow follows the sign: a decrease points down
    down, up = type(houses.proto).MetricDirection.DOWN, type(houses.proto).MetricDirection.UP
    assert houses.proto.direction == down
    assert income.proto.direction == up and rate.proto.direction == up
    # each change has a trend chart: one unit, both years, the sources in the tooltip
    trends = [chart_rows(el) for el in at.get("vega_lite_chart") if "年份" in (chart_rows(el) or [{}])[0]]
    years = {tuple(sorted(r["年份"] for r in rows)) for rows in trends if len({r["单位"] for r in rows}) == 1}
    assert ("2020", "2021") in years
    income_trend = next(rows for rows in trends if {r["编号"] for r in rows} == {"DJ-004", "DJ-004-2021"})
    assert {r["数值"] for r in income_trend} == {"537.65万元", "645.18万元"}
    assert all(r["原文"] for r in income_trend)


def test_compare_page_change_from_zero_shows_no_nan(data_dir):
    path = data_dir / "indicators.csv"
    rows = read_rows(path)
    rows.append(dict(rows[0]) | {"id": "DJ-900", "indicator": "新建党员活动室数", "value": "0", "unit": "个"})
    write_rows(path, rows)
    add_2021_rows(data_dir, {"DJ-900": "3"})
    at = compare_page()
    metric = next(x for x in at.metric if x.label.startswith("新建党员活动室数"))
    assert metric.value == "3个" and metric.delta == "+3个"
    assert "nan" not in metric.delta.lower()


def test_without_2021_rows_the_page_says_how_to_add_them(data_dir):
    at = compare_page()
    assert any("只有一个年份" in i.value for i in at.info)
    assert not any("→" in x.label for x in at.metric)


def test_every_page_renders_with_the_2021_rows(data_2021):
    """One visitor clicking through every page (caches stay warm between pages, as in a session)."""
    at = new_app().run()
    assert_no_exception(at)
    pages = [info["url_pathname"] for info in at._registered_pages.values()]  # noqa: SLF001
    assert len(pages) == 14
    for url_path in pages:
        at = open_page(at, url_path)
        assert not at.exception, (url_path, [e.value for e in at.exception])
        assert at.title, url_path
        assert not at.error, (url_path, [e.value for e in at.error])
    # a section with 2021 rows offers both years, newest first, and shows the chosen year's rows
    at = open_page(at, "党建引领")
    years = at.get("button_group")[0]
    assert years.options == ["2021", "2020"]
    assert list(at.dataframe[0].value["编号"]) == ["DJ-004-2021"]
    years.set_value(2020).run()
    assert_no_exception(at)
    table = at.dataframe[0].value
    assert "DJ-004" in set(table["编号"]) and "DJ-004-2021" not in set(table["编号"])
    assert set(table["年份"]) == {2020}


# ---------------------------------------------------------------- state in the URL


def bound_url(at) -> dict:
    """The query string the browser writes for the widgets bound to it (bind="query-params").

    Streamlit's frontend, not the script, writes a bound widget's value into the address bar, so
    at.query_params does not change when a test picks an option. The binding is in each widget's
    proto (query_param_key); selection widgets are written as their shown labels."""
    out = {}
    for w in at.selectbox:
        if w.proto.query_param_key and w.index is not None:
            out[w.proto.query_param_key] = w.options[w.index]
    for w in at.multiselect:
        if w.proto.query_param_key and w.value:
            out[w.proto.query_param_key] = list(w.values)
    return out


def test_compare_choices_are_kept_in_the_url_and_reopen(data_dir):
    at = compare_page()
    assert {w.proto.query_param_key for w in at.selectbox} >= {"unit", "sec"}
    assert at.multiselect(key="ids").proto.query_param_key == "ids"
    at.selectbox(key="unit").select("万元").run()
    at.multiselect(key="ids").set_value(["DJ-004", "TP-013"]).run()
    at.selectbox(key="sec").select("生态环境").run()
    assert_no_exception(at)
    url = bound_url(at)
    assert url["unit"] == "万元" and url["sec"] == "生态环境" and len(url["ids"]) == 2

    def shown(app) -> tuple:
        bars = [chart_rows(el) for el in app.get("vega_lite_chart")]
        compared = next(rows for rows in bars if rows and "编号" in rows[0])
        return (
            app.selectbox(key="unit").value,
            app.multiselect(key="ids").value,
            sorted(r["编号"] for r in compared),
            [s.value for s in app.subheader][:1],
        )

    before = shown(at)
    assert before == ("万元", ["DJ-004", "TP-013"], ["DJ-004", "TP-013"], ["2020年成效：生态环境"])
    # the copied link opens the same view in a new session
    assert shown(compare_page(url)) == before


# ---------------------------------------------------------------- 2021 goals of a 2020 section


def test_goals_for_section_by_section_or_baseline_id():
    bundle = load(SHIPPED)
    goals, ind = bundle.goals, bundle.indicators
    goal_rows = read_rows(SHIPPED / "goals_2021.csv")
    ind_section = {r["id"]: r["section"] for r in read_rows(SHIPPED / "indicators.csv")}
    for section in bundle.sections["section"]:
        expected = {
            g["id"]
            for g in goal_rows
            if g["section"] == section or any(ind_section.get(i) == section for i in split_ids(g["baseline_ids"]))
        }
        got = set(compare.goals_for_section(section, goals, ind)["id"])
        assert got == expected, section
    # G29 belongs to 民生保障 but builds on the 2020 figure YQ-005 (409人到县高新区务工)
    assert "G29" in set(compare.goals_for_section("疫情防控", goals, ind)["id"])


def test_goals_for_section_on_hand_made_rows():
    ind = pd.DataFrame({"id": ["A-1", "B-1"], "section": ["甲", "乙"]})
    goals = pd.DataFrame(
        {
            "id": ["G1", "G2", "G3", "G4"],
            "section": ["甲", "", "乙", ""],
            "baseline_ids": ["", "A-1", "B-1", ""],
        }
    )
    assert list(compare.goals_for_section("甲", goals, ind)["id"]) == ["G1", "G2"]
    assert list(compare.goals_for_section("乙", goals, ind)["id"]) == ["G3"]
    assert compare.goals_for_section("丙", goals, ind).empty
