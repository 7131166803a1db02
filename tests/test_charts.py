"""townboard.charts on its Vega-Lite dicts: one unit per axis, the source clause in every tooltip,
rates against their target, part-of-whole with the remainder, and how a topic is split into blocks.

Real rows come from the shipped data (loaded once); the edge cases use small hand-made frames.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from townboard import charts
from townboard.data import DEFAULT_DATA_DIR, load

REQUIRED_TOOLTIP = {"指标", "数值", "时段", "范围", "原文"}


@pytest.fixture(scope="module")
def ind() -> pd.DataFrame:
    bundle = load(DEFAULT_DATA_DIR)
    assert bundle.ok, bundle.errors
    return bundle.indicators


def pick(ind: pd.DataFrame, *ids: str) -> pd.DataFrame:
    return ind.set_index("id", drop=False).loc[list(ids)].reset_index(drop=True)


def frame(*rows: dict) -> pd.DataFrame:
    """Indicator rows with every column the chart builders read; each dict overrides a few cells."""
    base = {
        "year": 2020,
        "section": "测试板块",
        "topic": "测试专题",
        "qualifier": "",
        "period": "",
        "scope": "",
        "target": math.nan,
        "note": "",
        "highlight": pd.NA,
        "parent": "",
    }
    out = []
    for n, r in enumerate(rows, 1):
        row = base | {"id": f"T-{n:03d}", "indicator": f"指标{n}", "source": f"原文第{n}句"} | r
        out.append(row)
    df = pd.DataFrame(out)
    df["value"] = df["value"].astype(float)
    df["target"] = df["target"].astype(float)
    return df


# ---------------------------------------------------------------- spec helpers


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def data_rows(spec: dict) -> list[dict]:
    """The rows the chart draws (altair puts them in top-level datasets)."""
    rows = []
    for values in spec.get("datasets", {}).values():
        rows += values
    return rows


def quantitative_titles(spec: dict) -> dict[str, set]:
    """channel -> explicit titles of its quantitative encodings across all layers."""
    out: dict[str, set] = {}
    for layer in layers(spec):
        for ch in ("x", "y"):
            enc = layer.get("encoding", {}).get(ch)
            if enc and enc.get("type") == "quantitative" and "title" in enc:
                out.setdefault(ch, set()).add(enc["title"])
    return out


def mark_type(layer: dict) -> str:
    m = layer["mark"]
    return m["type"] if isinstance(m, dict) else m


def assert_tooltips_carry_source(spec: dict) -> None:
    with_tooltip = [layer for layer in layers(spec) if "tooltip" in layer.get("encoding", {})]
    assert with_tooltip, "no mark has a tooltip"
    for layer in with_tooltip:
        fields = {t["field"] for t in layer["encoding"]["tooltip"]}
        assert fields >= REQUIRED_TOOLTIP, (mark_type(layer), fields)


# ---------------------------------------------------------------- bar chart


def test_bar_chart_refuses_mixed_units(ind):
    rows = pick(ind, "ST-002", "ST-003")  # 1,601栋 and 134,163平方米 from the same sentence
    with pytest.raises(ValueError, match="one unit") as err:
        charts.bar_chart(rows)
    assert "栋" in str(err.value) and "平方米" in str(err.value)


def test_bar_chart_one_unit_on_its_value_axis_with_thousands_separators(ind):
    rows = pick(ind, "ST-002", "ST-004", "ST-006")
    spec = charts.to_spec(charts.bar_chart(rows))
    assert quantitative_titles(spec) == {"x": {"单位：栋"}}
    assert {r["单位"] for r in data_rows(spec)} == {"栋"}
    # the label next to each bar is the figure as the report gives it, with separators and unit
    assert sorted(r["数值"] for r in data_rows(spec)) == ["1,601栋", "355栋", "509栋"]


def test_tooltip_fields_of_every_chart_kind_include_the_source(ind):
    specs = {
        "bar": charts.bar_chart(pick(ind, "MS-015", "MS-013")),
        "rate": charts.rate_chart(pick(ind, "MS-005", "MS-011")),
        "part": charts.part_chart(pick(ind, "DJ-004").iloc[0], pick(ind, "DJ-005")),
        "trend": charts.trend_chart(pick(ind, "DJ-004")),
    }
    source = dict(zip(ind["id"], ind["source"]))
    for kind, chart in specs.items():
        spec = charts.to_spec(chart)
        assert_tooltips_carry_source(spec)
        for r in data_rows(spec):  # the remainder row of a part chart carries its whole's source
            assert r["原文"] == source[r["编号"]], (kind, r["编号"])
    assert set(charts.TOOLTIP_FIELDS) >= REQUIRED_TOOLTIP


def test_tooltip_values_say_whole_year_and_whole_town_when_blank_and_keep_the_source(ind):
    data = charts.tooltip_frame(pick(ind, "MS-015", "MS-017", "XM-007"))
    by_id = data.set_index("编号")
    assert by_id.loc["MS-015", "时段"] == "全年" and by_id.loc["MS-015", "范围"] == "全镇"
    assert by_id.loc["MS-017", "时段"] == "每月"
    assert by_id.loc["XM-007", "范围"] == "铁石口至罗坑"
    assert by_id.loc["MS-015", "原文"] == "现有农村低保656户,1306人"
    assert by_id.loc["MS-015", "数值"] == "656户"


def test_same_label_twice_is_told_apart_by_id():
    data = charts.tooltip_frame(
        frame({"indicator": "同名", "value": 1, "unit": "个"}, {"indicator": "同名", "value": 2, "unit": "个"})
    )
    assert data["标签"].is_unique
    assert list(data["标签"]) == ["同名·T-001", "同名·T-002"]


# ---------------------------------------------------------------- rates against target


def test_rate_chart_draws_a_target_tick_at_the_given_target_and_100_when_absent(ind):
    rows = pd.concat([pick(ind, "TP-010"), pick(ind, "MS-005")], ignore_index=True)  # target 100 / none
    rows.loc[0, "target"] = 95.0  # a target other than 100, to see the tick follow it
    spec = charts.to_spec(charts.rate_chart(rows))
    ticks = [layer for layer in layers(spec) if mark_type(layer) == "tick"]
    assert len(ticks) == 1
    assert ticks[0]["encoding"]["x"]["field"] == "目标"
    targets = {r["编号"]: r["目标"] for r in data_rows(spec)}
    assert targets == {"TP-010": 95.0, "MS-005": 100.0}
    assert_tooltips_carry_source(spec)
    tick_tip = {t.get("title", t["field"]) for t in ticks[0]["encoding"]["tooltip"]}
    assert "目标" in tick_tip
    assert {r["目标值"] for r in data_rows(spec)} == {"95%", "100%"}


def test_rate_chart_axis_is_percent_from_zero_to_at_least_100(ind):
    spec = charts.to_spec(charts.rate_chart(pick(ind, "MS-011", "MS-012")))  # 58%, 90%
    assert quantitative_titles(spec) == {"x": {"单位：%"}}
    domains = {
        tuple(layer["encoding"]["x"]["scale"]["domain"]) for layer in layers(spec) if "scale" in layer["encoding"]["x"]
    }
    assert domains == {(0, 100.0)}


# ---------------------------------------------------------------- part of a whole


def test_part_chart_adds_the_remainder_parent_minus_parts(ind):
    parent = pick(ind, "DJ-004").iloc[0]  # 村集体收入 537.65万元
    parts = pick(ind, "DJ-005")  # 经营性收入 217.96万元
    spec = charts.to_spec(charts.part_chart(parent, parts))
    rows = data_rows(spec)
    assert len(rows) == 2
    rest = next(r for r in rows if r["部分"].startswith("其余"))
    assert rest["值"] == pytest.approx(537.65 - 217.96)
    assert rest["数值"] == "319.69万元（由总数推算）"
    assert sum(r["值"] for r in rows) == pytest.approx(537.65)
    assert {r["整体"] for r in rows} == {"村集体收入（14个村合计） 537.65万元"}
    assert quantitative_titles(spec) == {"x": {"单位：万元"}}
    assert layers(spec)[0]["encoding"]["x"]["stack"] == "zero"
    assert_tooltips_carry_source(spec)


def test_part_chart_without_remainder_when_the_parts_add_up(ind):
    parent = pick(ind, "TP-006").iloc[0]  # 130条 = 65 + 11 + 54
    spec = charts.to_spec(charts.part_chart(parent, pick(ind, "TP-007", "TP-008", "TP-009")))
    rows = data_rows(spec)
    assert [r["编号"] for r in rows] == ["TP-007", "TP-008", "TP-009"]
    assert not any(r["部分"].startswith("其余") for r in rows)


# ---------------------------------------------------------------- topic -> blocks


def blocks_of(ind: pd.DataFrame, section: str, topic: str) -> list[charts.Block]:
    return charts.topic_blocks(ind.loc[(ind["section"] == section) & (ind["topic"] == topic)])


def ids_of(block: charts.Block) -> list[str]:
    return list(block.rows["id"])


def test_topic_blocks_on_a_real_topic(ind):
    blocks = blocks_of(ind, "党建引领", "夯实党建基础")
    assert blocks[0].kind == "metrics"  # the lone figures first, as cards
    parts = {b.parent["id"]: ids_of(b) for b in blocks if b.kind == "part"}
    assert parts["DJ-004"] == ["DJ-005"]  # 经营性收入 217.96 of 村集体收入 537.65万元
    # 选聘在村跟班实习 12人 is the only figure in 人: a card, not a one-bar chart
    assert "DJ-012" in ids_of(blocks[0])
    for b in blocks:
        if b.kind == "bar":
            assert b.rows["unit"].nunique() == 1 and len(b.rows) >= 2, ids_of(b)
        if b.kind == "part":
            assert b.rows["value"].sum() <= b.parent["value"]


def test_parts_that_add_up_to_more_than_the_whole_are_not_stacked():
    # 10万/20万以上的村 are nested thresholds, not a partition of the 14 villages
    rows = frame(
        {"id": "V", "value": 14, "unit": "个"},
        {"id": "V10", "value": 14, "unit": "个", "parent": "V"},
        {"id": "V20", "value": 4, "unit": "个", "parent": "V"},
    )
    blocks = charts.topic_blocks(rows)
    assert [b.kind for b in blocks] == ["bar"]
    assert ids_of(blocks[0]) == ["V", "V10", "V20"]


def test_topic_blocks_rules_on_hand_made_rows():
    rows = frame(
        {"id": "W", "value": 100, "unit": "万元"},
        {"id": "P1", "value": 30, "unit": "万元", "parent": "W"},
        {"id": "P2", "value": 20, "unit": "万元", "parent": "W"},
        {"id": "PX", "value": 7, "unit": "人", "parent": "W"},  # other unit: never a part of W
        {"id": "R1", "value": 87.5, "unit": "%"},
        {"id": "R2", "value": 60, "unit": "%", "target": 80},
        {"id": "B1", "value": 5, "unit": "户"},
        {"id": "B2", "value": 9, "unit": "户"},
        {"id": "S1", "value": 3, "unit": "栋"},
    )
    blocks = charts.topic_blocks(rows)
    got = {b.kind: b for b in blocks}
    assert [b.kind for b in blocks] == ["metrics", "part", "rate", "bar"]
    assert got["part"].parent["id"] == "W" and ids_of(got["part"]) == ["P1", "P2"]
    assert ids_of(got["rate"]) == ["R1", "R2"]
    assert ids_of(got["bar"]) == ["B1", "B2"] and got["bar"].title == "单位：户"
    assert sorted(ids_of(got["metrics"])) == ["PX", "S1"]
    # every figure is shown exactly once (the whole as the part block's parent)
    shown = [i for b in blocks for i in ids_of(b)] + [b.parent["id"] for b in blocks if b.parent is not None]
    assert sorted(shown) == sorted(rows["id"])


def test_a_lone_rate_is_a_chart_only_against_a_target():
    with_target = charts.topic_blocks(frame({"value": 100, "unit": "%", "target": 100}))
    without = charts.topic_blocks(frame({"value": 90, "unit": "%"}))
    assert [b.kind for b in with_target] == ["rate"]
    assert [b.kind for b in without] == ["metrics"]


def test_nested_parents_do_not_break_the_section():
    rows = frame(
        {"id": "A", "value": 10, "unit": "万元"},
        {"id": "B", "value": 6, "unit": "万元", "parent": "A"},
        {"id": "C", "value": 2, "unit": "万元", "parent": "B"},
    )
    blocks = charts.topic_blocks(rows)
    shown = [i for b in blocks for i in ids_of(b)] + [b.parent["id"] for b in blocks if b.parent is not None]
    assert sorted(shown) == ["A", "B", "C"]
    for b in blocks:
        if charts.block_chart(b) is not None:
            charts.to_spec(charts.block_chart(b))


def test_every_topic_of_the_shipped_data_splits_into_single_unit_blocks(ind):
    """Structure only: the specs of these blocks are checked on the rendered section pages."""
    for (section, topic), rows in ind.groupby(["section", "topic"], sort=False):
        blocks = charts.topic_blocks(rows)
        shown = [i for b in blocks for i in ids_of(b)] + [b.parent["id"] for b in blocks if b.parent is not None]
        assert sorted(shown) == sorted(rows["id"]), (section, topic)
        for b in blocks:
            if b.kind == "metrics":
                continue
            units = set(b.rows["unit"]) | ({b.parent["unit"]} if b.parent is not None else set())
            assert len(units) == 1, (section, topic, b.kind, units)
            if b.kind == "bar":
                assert len(b.rows) >= 2, (section, topic, ids_of(b))
            if b.kind == "rate":
                assert units == {"%"}


# ---------------------------------------------------------------- the overview's mini chart


def test_mini_chart_takes_the_most_common_unit_top_five(ind):
    rows = ind.loc[ind["section"] == "民生保障"]
    common = rows.loc[rows["unit"] != "%", "unit"].value_counts().index[0]
    spec = charts.to_spec(charts.mini_chart(rows))
    drawn = data_rows(spec)
    assert {r["单位"] for r in drawn} == {common}
    assert quantitative_titles(spec) == {"x": {f"单位：{common}"}}
    top = rows.loc[rows["unit"] == common].nlargest(5, "value")
    assert sorted(r["编号"] for r in drawn) == sorted(top["id"])
    assert len(drawn) == 5


def test_mini_chart_ignores_rates_and_needs_two_figures():
    rows = frame({"value": 90, "unit": "%"}, {"value": 80, "unit": "%"}, {"value": 5, "unit": "个"})
    assert charts.mini_chart(rows) is None
    rows = frame({"value": 90, "unit": "%"}, {"value": 5, "unit": "个"}, {"value": 7, "unit": "个"})
    spec = charts.to_spec(charts.mini_chart(rows))
    assert {r["单位"] for r in data_rows(spec)} == {"个"}
