"""Every page of the dashboard under AppTest with the shipped data (a private copy, see conftest):
it renders without an exception and shows what a user checks — headings, figures with separators
and units, the source clause of every figure, and charts with one unit per axis.

Expected values come from the data files, read here with the csv module (not through townboard),
or are figures a reader of the report knows (537.65万元, 1,601栋, 134,163平方米).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import DATA_FILES, SHIPPED, assert_no_exception, new_app, texts

TOOLTIP_NEEDS = {"指标", "数值", "时段", "范围", "原文"}
OTHER_PAGES = ["overview", "search", "goals", "compare", "present", "print", "data"]


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def write_csv(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8-sig")


SECTIONS = read_csv(SHIPPED / "sections.csv")
SECTION_NAMES = [s["section"] for s in SECTIONS]


def indicators_of(section: str, data: Path = SHIPPED) -> list[dict]:
    return [r for r in read_csv(data / "indicators.csv") if r["section"] == section]


# ---------------------------------------------------------------- element helpers


def blocks(node):
    """Every block (container, column …) below node, depth first."""
    for child in getattr(node, "children", {}).values():
        if hasattr(child, "children"):
            yield child
            yield from blocks(child)


def box_with_subheader(at, prefix: str):
    """The block that directly holds the subheader starting with prefix (an overview section box)."""
    for block in blocks(at.main):
        for child in block.children.values():
            if getattr(child, "type", None) == "subheader" and str(child.value).startswith(prefix):
                return block
    raise AssertionError(f"no box with a subheader starting {prefix!r}")


_PAGE_HASH: dict[str, str] = {}  # url path -> page hash (a hash of the url path: the same in every AppTest)


def start_on(url_path: str):
    """A fresh AppTest whose first run opens url_path (like following a link to it), without running
    the overview first. The page hashes are learnt once from a run of the default page."""
    if not _PAGE_HASH:
        first = new_app().run()
        _PAGE_HASH.update({info.get("url_pathname"): h for h, info in first._registered_pages.items()})  # noqa: SLF001
    at = new_app()
    at._page_hash = _PAGE_HASH["" if url_path == "overview" else url_path]  # noqa: SLF001
    return at.run()


def page_hash(at, url_path: str) -> str:
    hashes = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == url_path]  # noqa: SLF001
    assert len(hashes) == 1, url_path
    return hashes[0]


def chart_spec(el) -> dict:
    return json.loads(el.proto.spec)


def chart_rows(el) -> list[dict]:
    """The rows a rendered chart draws (Streamlit ships them as Arrow datasets)."""
    rows = []
    for ds in el.proto.datasets:
        rows += pa.ipc.open_stream(ds.data.data).read_all().to_pylist()
    return rows


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def mark_of(layer: dict) -> str:
    m = layer["mark"]
    return m["type"] if isinstance(m, dict) else m


def assert_figure_chart_ok(el) -> None:
    """One unit per quantitative axis (titled 单位：<the unit of every drawn row>) and the report's
    wording in every mark's tooltip."""
    spec, rows = chart_spec(el), chart_rows(el)
    assert rows, "chart draws nothing"
    units = {r["单位"] for r in rows}
    assert len(units) == 1, f"one chart mixes units {units}"
    (unit,) = units
    titled = {}
    for layer in layers(spec):
        for ch in ("x", "y"):
            enc = layer.get("encoding", {}).get(ch, {})
            if enc.get("type") == "quantitative" and enc.get("title"):
                titled.setdefault(ch, set()).add(enc["title"])
    assert titled, "value axis without a title"
    for ch, titles in titled.items():
        assert titles == {f"单位：{unit}"}, (ch, titles)
    tipped = [layer for layer in layers(spec) if "tooltip" in layer.get("encoding", {})]
    assert tipped, "no tooltip on any mark"
    for layer in tipped:
        fields = {t["field"] for t in layer["encoding"]["tooltip"]}
        assert fields >= TOOLTIP_NEEDS, (mark_of(layer), fields)
    assert all(r["原文"] for r in rows)


def figure_charts(at) -> list:
    return [el for el in at.get("vega_lite_chart") if chart_rows(el) and "单位" in chart_rows(el)[0]]


class Rendered:
    """Each page rendered once on one private copy of the shipped data, shared by the read-only
    tests of this module (a cold render costs seconds on a busy 2-core machine)."""

    def __init__(self, data: Path):
        self.data = data
        self._apps: dict = {}

    def __call__(self, url_path: str):
        if url_path not in self._apps:
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("TOWNBOARD_DATA_DIR", str(self.data))
                self._apps[url_path] = start_on(url_path)
        return self._apps[url_path]


@pytest.fixture(scope="module")
def shown(tmp_path_factory) -> Rendered:
    d = tmp_path_factory.mktemp("shipped") / "data"
    d.mkdir()
    for name in DATA_FILES:
        shutil.copy2(SHIPPED / name, d / name)
    return Rendered(d)


# ---------------------------------------------------------------- every page renders


@pytest.mark.parametrize("url_path", OTHER_PAGES)
def test_every_page_renders_without_exception(shown, url_path):
    """(The seven section pages: test_section_page_heading_table_charts_and_downloads.)"""
    at = shown(url_path)
    assert_no_exception(at)
    assert at.title, f"{url_path}: no title"
    assert not at.error, [e.value for e in at.error]


# ---------------------------------------------------------------- overview


def test_overview_headline_cards_link_to_their_sections(shown):
    app = shown("overview")
    assert_no_exception(app)
    assert app.title[0].value == "铁石口镇2020年工作成效看板"
    income = [m for m in app.metric if m.label.startswith("村集体收入")]
    assert [m.value for m in income] == ["537.65万元"]
    assert "14个村共完成村集体收入537.65万" in income[0].proto.help  # the source clause, on hover
    for sec in SECTIONS:
        box = box_with_subheader(app, f"{sec['order']}. {sec['section']}")
        cards = [m for m in box.get("metric") if m.proto.show_border]
        assert 1 <= len(cards) <= 3, (sec["section"], len(cards))
        links = [pl.proto for pl in box.get("page_link")]
        assert page_hash(app, sec["section"]) in {pl.page_script_hash for pl in links}, sec["section"]
        n = len(indicators_of(sec["section"]))
        assert any(f"全部 {n} 项指标" in pl.label for pl in links)


def test_overview_cards_are_the_highlighted_figures_with_separators_and_units(shown):
    app = shown("overview")
    for sec in SECTIONS:
        ranked = sorted(
            (r for r in indicators_of(sec["section"]) if r["highlight"].strip()), key=lambda r: int(r["highlight"])
        )
        box = box_with_subheader(app, f"{sec['order']}. {sec['section']}")
        labels = [m.label for m in box.get("metric") if m.proto.show_border]
        assert len(labels) == min(3, len(ranked)) or not ranked
        for row, label in zip(ranked[:3], labels):
            assert row["indicator"] in label, (sec["section"], row["id"], label)
    values = {m.label: m.value for m in app.metric}
    assert values["拆除“空心房”主房栋数"] == "1,601栋"
    assert values["拆除“空心房”主房面积"] == "134,163平方米"


def test_overview_card_follows_the_highlight_column(data_dir):
    """Move the 党建引领 highlight from 村集体收入 to 受理问题线索件数: the card changes with the data."""
    path = data_dir / "indicators.csv"
    rows = read_csv(path)
    for r in rows:
        if r["section"] == "党建引领":
            r["highlight"] = ""
    by_id = {r["id"]: r for r in rows}
    by_id["DJ-022"]["highlight"] = "1"
    write_csv(path, rows)
    at = new_app().run()
    assert_no_exception(at)
    box = box_with_subheader(at, "1. 党建引领")
    cards = [(m.label, m.value) for m in box.get("metric") if m.proto.show_border]
    assert cards == [("受理问题线索件数", "15件")]
    assert not any(label.startswith("村集体收入") for label, _ in cards)


def test_overview_mini_charts_keep_one_unit_and_the_source(shown):
    app = shown("overview")
    charts = figure_charts(app)
    assert len(charts) >= 5  # most sections have a compact chart
    for el in charts:
        assert_figure_chart_ok(el)


# ---------------------------------------------------------------- section pages


@pytest.mark.parametrize("sec", SECTIONS, ids=SECTION_NAMES)
def test_section_page_heading_table_charts_and_downloads(shown, sec):
    name = sec["section"]
    at = shown(name)
    assert_no_exception(at)
    assert at.title[0].value == f"{sec['order']}. {name}"
    assert at.subheader[0].value == sec["heading"]
    expected = indicators_of(name)
    table = at.dataframe[0].value
    assert sorted(table["编号"]) == sorted(r["id"] for r in expected)
    assert dict(zip(table["编号"], table["原文"])) == {r["id"]: r["source"] for r in expected}
    charts = figure_charts(at)
    assert charts, f"{name}: no chart"
    for el in charts:
        assert_figure_chart_ok(el)
        rows = chart_rows(el)
        kind = "part" if "部分" in rows[0] else "rate" if "目标" in rows[0] else "bar"
        if kind == "bar":  # a figure alone in its unit is a card, never a one-bar chart
            assert len(rows) >= 2, [r["编号"] for r in rows]
    downloads = {d.key: d.label for d in at.get("download_button")}
    assert "CSV" in downloads[f"csv-{name}"] and "Excel" in downloads[f"xlsx-{name}"]


def test_section_part_of_whole_chart_shows_the_rest_of_the_whole(shown):
    at = shown("党建引领")
    parts = [chart_rows(el) for el in figure_charts(at) if "部分" in chart_rows(el)[0]]
    income = next(rows for rows in parts if any(r["编号"] == "DJ-005" for r in rows))
    assert {r["整体"] for r in income} == {"村集体收入（14个村合计） 537.65万元"}
    rest = [r for r in income if r["部分"].startswith("其余")]
    assert len(rest) == 1 and rest[0]["值"] == pytest.approx(537.65 - 217.96)
    assert sum(r["值"] for r in income) == pytest.approx(537.65)


def test_section_rates_are_drawn_against_their_target(shown):
    at = shown("民生保障")
    rate_charts = [el for el in figure_charts(at) if "目标" in chart_rows(el)[0]]
    assert rate_charts
    for el in rate_charts:
        ticks = [layer for layer in layers(chart_spec(el)) if mark_of(layer) == "tick"]
        assert ticks and ticks[0]["encoding"]["x"]["field"] == "目标"
    drawn = {r["编号"]: r for el in rate_charts for r in chart_rows(el)}
    assert drawn["MS-005"]["值"] == pytest.approx(87.95)
    assert drawn["MS-005"]["目标"] == 100  # no target in the report: measured against 100%
    at = shown("脱贫攻坚")
    drawn = {r["编号"]: r for el in figure_charts(at) if "目标" in chart_rows(el)[0] for r in chart_rows(el)}
    assert drawn["TP-010"]["目标"] == 100 and drawn["TP-010"]["数值"] == "100%"


def test_section_single_figure_is_a_card_and_numbers_have_separators(shown):
    at = shown("党建引领")
    cards = {m.label: m.value for m in at.metric}
    assert cards["选聘在村跟班实习人数"] == "12人"
    assert all(r["编号"] != "DJ-012" for el in figure_charts(at) for r in chart_rows(el))
    at = shown("生态环境")
    values = set(at.dataframe[0].value["数值"])
    assert {"1,601栋", "134,163平方米", "11,707平方米"} <= values


# ---------------------------------------------------------------- the other pages


def test_search_page_without_query_explains_what_to_type(shown):
    at = shown("search")
    assert_no_exception(at)
    assert at.title[0].value == "搜索"
    assert "低保" in at.info[0].value
    assert not at.success and not at.warning


def test_compare_page_default_chart_has_one_unit(shown):
    at = shown("compare")
    assert_no_exception(at)
    assert at.title[0].value == "对比分析"
    unit = at.selectbox(key="unit").value
    charts = figure_charts(at)
    assert charts
    assert_figure_chart_ok(charts[0])
    assert {r["单位"] for r in chart_rows(charts[0])} == {unit}
    assert any(s.value.startswith("2020年成效：") for s in at.subheader)


def test_goals_page_counts_every_goal(shown):
    at = shown("goals")
    assert_no_exception(at)
    assert at.title[0].value == "2021年目标跟踪"
    goals = read_csv(SHIPPED / "goals_2021.csv")
    statuses = ("未开始", "进行中", "已完成", "滞后")
    counts = {m.label: m.value for m in at.metric if m.label in statuses}
    assert sum(int(v.split()[0]) for v in counts.values()) == len(goals)
    assert f"筛选结果：{len(goals)} 项任务" in texts(at)


def test_present_page_steps_through_the_sections(data_dir):
    at = start_on("present")
    assert_no_exception(at)
    assert at.query_params.get("present") == "1"
    assert at.title[0].value == f"1. {SECTIONS[0]['section']}"
    assert "537.65万元" in {m.value for m in at.metric}
    at.button(key="next").click().run()
    assert_no_exception(at)
    assert at.title[0].value == f"2. {SECTIONS[1]['section']}"


def test_print_page_overview_and_one_section(data_dir):
    at = start_on("print")
    assert_no_exception(at)
    assert at.title[0].value == "铁石口镇2020年工作成效"
    assert "**537\\.65万元**" in texts(at)
    at.selectbox(key="part").select("生态环境").run()
    assert_no_exception(at)
    assert at.title[0].value == "5. 生态环境"
    table = at.table[0].value
    assert "拆除“空心房”主房1601栋134163平方米" in set(table["原文"])
    assert "1,601栋" in set(table["数值"])


def test_data_page_lists_the_files_and_offers_downloads(shown):
    at = shown("data")
    assert_no_exception(at)
    assert at.title[0].value == "数据管理"
    status = at.dataframe[0].value
    assert len(status) == 4 and set(status["校验"]) == {"通过"}
    keys = {d.key for d in at.get("download_button")}
    assert {"dl-sections", "dl-indicators", "dl-goals_2021", "dl-problems", "dl-all"} <= keys
