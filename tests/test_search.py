"""Search: townboard.search on the shipped data and report, and the search page under AppTest —
real queries, filters, characters that are special elsewhere, escaping, and the query in the URL.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from conftest import SHIPPED, assert_no_exception, new_app, start_on

from townboard import search
from townboard.data import load


@pytest.fixture(scope="module")
def index() -> pd.DataFrame:
    bundle = load(SHIPPED)
    assert bundle.ok, bundle.errors
    return search.build_index(bundle, search.load_report(SHIPPED))


def titles(result: search.Result, kind: str = "指标") -> list[str]:
    return list(result.hits.loc[result.hits["kind"] == kind, "title"])


def shipped_indicators() -> list[dict]:
    return list(csv.DictReader(io.StringIO((SHIPPED / "indicators.csv").read_text(encoding="utf-8-sig"))))


# ---------------------------------------------------------------- real queries


def test_guangfu_finds_the_solar_dividend(index):
    r = search.search(index, "光伏")
    assert titles(r) == ["细车村光伏扶贫年度分红：7.3万元"]
    assert any("光伏扶贫年度分红7.3万元" in t for t in r.hits["text"])  # and the report's sentence
    assert r.section_counts == {"脱贫攻坚": 1}


def test_dibao_finds_656_households_and_1306_people(index):
    r = search.search(index, "低保")
    found = titles(r)
    assert "现有农村低保户数：656户" in found
    assert "现有农村低保人数：1,306人" in found
    assert set(r.hits["kind"]) >= {"指标", "原文"}
    assert all("低保" in h for h in r.hits["haystack"])


def test_a_number_prefix_finds_the_full_figure(index):
    r = search.search(index, "537")
    assert "村集体收入（14个村合计）：537.65万元" in titles(r)
    full_width = search.search(index, "５３７")  # typed with a Chinese IME
    assert list(full_width.hits["ref"]) == list(r.hits["ref"])
    assert titles(search.search(index, "1,250")) == ["实现稳定就业的贫困人口数：1,250人"]


def test_two_words_must_both_occur(index):
    both = search.search(index, "低保 城镇")
    assert both.terms == ["低保", "城镇"]
    assert "城镇低保户数：12户" in titles(both)
    assert "现有农村低保户数：656户" not in titles(both)
    assert all("低保" in h and "城镇" in h for h in both.hits["haystack"])
    assert 0 < len(both.hits) < len(search.search(index, "低保").hits)
    assert len(search.search(index, "光伏　分红").hits) == len(search.search(index, "光伏").hits)  # full-width space


def test_no_hit_query(index):
    r = search.search(index, "航空母舰")
    assert r.hits.empty and r.terms == ["航空母舰"]
    assert r.section_counts == {} and r.unit_counts == {}


def test_brackets_and_regex_characters_are_plain_text(index):
    paren = search.search(index, "(")
    assert len(paren.hits) > 0
    assert all("(" in h for h in paren.hits["haystack"])
    assert "实施农村公路拓宽(铁石口至罗坑)2.6公里" in set(paren.hits["text"])
    for q in ("*", "\\", "[", "(.*)", "a|b"):
        r = search.search(index, q)  # a regex would fail on these or match everything
        assert len(r.hits) < len(index), q
        assert all(q.casefold() in h for h in r.hits["haystack"]), q


def test_special_characters_match_literally_when_present():
    idx = pd.DataFrame(
        {
            "kind": ["原文", "原文", "原文"],
            "ref": ["S1", "S2", "S3"],
            "title": ["", "", ""],
            "text": ["a*b", "a[1]", "c\\d"],
            "section": "",
            "unit": "",
            "year": "",
        }
    )
    idx["haystack"] = idx["text"].str.casefold()
    assert list(search.search(idx, "*").hits["ref"]) == ["S1"]
    assert list(search.search(idx, "[").hits["ref"]) == ["S2"]
    assert list(search.search(idx, "\\").hits["ref"]) == ["S3"]


def test_empty_query_finds_nothing(index):
    assert search.search(index, "   ").hits.empty


# ---------------------------------------------------------------- filters


def test_section_and_unit_filters_and_their_counts(index):
    r = search.search(index, "低保")
    in_section = r.hits.loc[r.hits["section"] == "民生保障"]
    assert r.section_counts == {"民生保障": len(in_section)}
    assert r.unit_counts == r.hits.loc[r.hits["unit"] != "", "unit"].value_counts().to_dict()
    by_section = search.search(index, "低保", sections=["民生保障"])
    assert list(by_section.hits["ref"]) == list(in_section["ref"])
    households = search.search(index, "低保", units=["户"])
    assert set(households.hits["unit"]) == {"户"}
    assert len(households.hits) == r.unit_counts["户"]
    assert {"现有农村低保户数：656户", "城镇低保户数：12户"} <= set(titles(households))
    assert households.unit_counts == r.unit_counts  # the counts shown beside the options stay put


# ---------------------------------------------------------------- escaping


def test_highlighted_markdown_escapes_markdown_and_html():
    text = "<script>alert(1)</script> **x** [链接](http://a)"
    md = search.highlighted_markdown(text, ["alert"])
    assert "<script>" not in md and "**x**" not in md and "](" not in md
    assert "\\<script\\>" in md and "\\*\\*x\\*\\*" in md
    assert ":orange-background[**alert**]" in md  # the match is wrapped, and only the match
    assert md.count(":orange-background[") == 1
    unwrapped = md.replace(":orange-background[**alert**]", "alert")
    assert re.sub(r"\\(.)", r"\1", unwrapped) == text  # nothing lost: escaped, not removed


def test_highlight_is_case_insensitive_and_marks_every_occurrence():
    md = search.highlighted_markdown("ABC abc", ["abc"])
    assert md == ":orange-background[**ABC**] :orange-background[**abc**]"


# ---------------------------------------------------------------- the search page


def visible(markdown: str) -> str:
    """What the reader sees of a highlighted, escaped Markdown string."""
    text = re.sub(r":orange-background\[\*\*(.*?)\*\*\]", r"\1", markdown)
    return re.sub(r"\\(.)", r"\1", text)


def page_text(at) -> str:
    return "\n".join(visible(m.value) for m in at.markdown)


@pytest.fixture
def search_page(data_dir):
    return start_on("search")


def ask(at, query: str):
    at.text_input(key="q").input(query).run()
    assert_no_exception(at)
    return at


@pytest.mark.parametrize(
    ("query", "shown", "section"),
    [
        ("光伏", ["细车村光伏扶贫年度分红：7.3万元"], "脱贫攻坚"),
        ("低保", ["现有农村低保户数：656户", "现有农村低保人数：1,306人"], "民生保障"),
        ("537", ["村集体收入（14个村合计）：537.65万元"], "党建引领"),
        ("低保 城镇", ["城镇低保户数：12户", "城镇低保人数：16人"], "民生保障"),
    ],
)
def test_search_page_shows_the_figures_and_links_their_section(search_page, query, shown, section):
    at = ask(search_page, query)
    assert at.success and at.success[0].value.startswith("共找到 指标")
    text = page_text(at)
    for figure in shown:
        assert figure in text, figure
    assert section in {pl.proto.page for pl in at.get("page_link")}


def test_search_page_no_hit_and_special_characters(search_page):
    at = ask(search_page, "航空母舰")
    assert "没有找到" in at.warning[0].value and "航空母舰" in at.warning[0].value
    for q in ("(", "*", "\\", "["):
        at = ask(at, q)
        assert at.success or at.warning, q
    at = ask(at, "(")
    assert "实施农村公路拓宽(铁石口至罗坑)2.6公里" in page_text(at)


def test_search_page_filters_by_unit_with_counts(search_page):
    at = ask(search_page, "低保")
    expected_hh = [
        r
        for r in shipped_indicators()
        if r["unit"] == "户" and any("低保" in r[c] for c in ("indicator", "topic", "scope", "source", "note"))
    ]
    units = at.multiselect(key="search_units")
    assert f"户（{len(expected_hh)}）" in units.options
    assert any(o.startswith("民生保障（") for o in at.multiselect(key="search_sections").options)
    units.set_value(["户"]).run()
    assert_no_exception(at)
    assert at.success[0].value == f"共找到 指标 {len(expected_hh)} 条"
    text = page_text(at)
    assert "现有农村低保户数：656户" in text and "现有农村低保人数：1,306人" not in text


def test_search_page_escapes_data_text(data_dir):
    path = data_dir / "indicators.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    rows[0]["indicator"] = "<script>alert(1)</script>**x**"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    at = ask(start_on("search"), "alert")
    hit = next(m.value for m in at.markdown if "alert" in m.value)
    assert "<script>" not in hit and "**x**" not in hit
    assert ":orange-background[**alert**]" in hit
    assert visible(hit).startswith("<script>alert(1)</script>**x**：")


# ---------------------------------------------------------------- the query in the URL


def bound_url(at) -> dict:
    """The query string the browser writes for the widgets bound to it (bind="query-params").

    Streamlit's frontend, not the script, puts a bound widget's value into the address bar, so
    AppTest's at.query_params stays empty after an input; the binding itself is in each widget's
    proto (query_param_key), which is what the frontend reads."""
    out = {}
    for kind in ("text_input", "selectbox", "multiselect"):
        for w in getattr(at, kind):
            key = w.proto.query_param_key
            if key and w.value not in (None, "", []):
                out[key] = w.value
    return out


def test_query_is_kept_in_the_url_and_a_link_reopens_it(search_page):
    at = ask(search_page, "低保")
    assert at.text_input(key="q").proto.query_param_key == "q"
    url = bound_url(at)
    assert url == {"q": "低保"}
    # someone opens the copied link …/search?q=低保
    again = start_on("search", url)
    assert_no_exception(again)
    assert again.text_input(key="q").value == "低保"
    assert again.success[0].value == at.success[0].value
    assert "现有农村低保户数：656户" in page_text(again)


def test_sidebar_box_leads_to_the_search_page_with_the_same_query(data_dir):
    at = new_app().run()
    assert at.title[0].value != "搜索"
    at.sidebar.text_input(key="sidebar_q").input("光伏").run()
    assert_no_exception(at)
    assert at.title[0].value == "搜索"
    assert at.text_input(key="q").value == "光伏"
    assert "细车村光伏扶贫年度分红：7.3万元" in page_text(at)
    assert bound_url(at) == {"q": "光伏"}
