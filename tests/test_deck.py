"""The PPT deck (townboard.deck.build_deck) opened back with python-pptx."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches

from townboard import data, deck, images

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TODAY = date(2021, 1, 15)


@pytest.fixture(scope="module")
def bundle():
    b = data.load(DATA_DIR)
    assert b.ok, b.errors
    return b


@pytest.fixture(scope="module")
def built(bundle):
    calls: list[tuple[float, str]] = []
    raw = deck.build_deck(bundle, progress=lambda f, msg: calls.append((f, msg)), today=TODAY)
    return raw, calls


@pytest.fixture(scope="module")
def prs(built):
    return Presentation(io.BytesIO(built[0]))


def named(slide, name):
    return [s for s in slide.shapes if s.name == name]


def slide_text(slide) -> str:
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


def section_names(bundle) -> list[str]:
    return list(bundle.sections.sort_values("order")["section"])


def test_slide_count_and_size(bundle, prs):
    assert len(prs.slides) == 1 + len(bundle.sections) + 2
    assert prs.slide_width == 12192000 and prs.slide_height == 6858000
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 1e-3


def test_titles_in_order(bundle, prs):
    titles = []
    for slide in prs.slides:
        boxes = named(slide, "Title")
        assert len(boxes) == 1
        titles.append(boxes[0].text_frame.text)
    secs = bundle.sections.sort_values("order")
    expected = ["铁石口镇"] + [f"{o}. {s}" for o, s in zip(secs["order"], secs["section"])]
    expected += [deck.GOALS_TITLE, "存在的问题"]
    assert titles == expected
    assert titles[1] == "1. 党建引领"
    assert "2021" in titles[-2] and "目标" in titles[-2]


def test_title_slide(prs):
    text = slide_text(prs.slides[0])
    assert "2020年工作总结和2021年工作打算 · 工作成效汇报" in text
    assert "2021年1月15日" in text


def test_titles_are_centred(prs):
    half = prs.slide_width / 2
    for slide in prs.slides:
        for box in named(slide, "Title") + named(slide, "Subtitle"):
            assert abs(box.left + box.width / 2 - half) <= Inches(0.02), box.text_frame.text
            assert all(p.alignment == PP_ALIGN.CENTER for p in box.text_frame.paragraphs)


def test_section_slides_have_figures_chart_and_source(bundle, prs):
    has_font = images.find_cjk_font_dirs().family is not None
    for i, name in enumerate(section_names(bundle), start=1):
        slide = prs.slides[i]
        heading = bundle.sections.set_index("section").loc[name, "heading"]
        assert named(slide, "Subtitle")[0].text_frame.text == heading
        assert 1 <= len(named(slide, "KeyFigure")) <= 6
        assert "数据来源：《铁石口镇2020年工作总结和2021年工作打算》" in slide_text(slide)
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        if has_font:
            assert pictures, f"no chart on the {name} slide"
            for pic in pictures:  # inside the slide
                assert pic.left >= 0 and pic.top >= 0
                assert pic.left + pic.width <= prs.slide_width and pic.top + pic.height <= prs.slide_height
        else:
            assert named(slide, "ChartNote")


def test_key_figure_text_on_party_slide(prs):
    assert "537.65万元" in slide_text(prs.slides[1])
    figures = [s.text_frame.paragraphs[0].text for s in named(prs.slides[1], "KeyFigure")]
    assert figures[0] == "537.65万元"  # highlight rank 1 first


def test_goals_and_problems_slides(bundle, prs):
    goals_text = slide_text(prs.slides[-2])
    for status in ("未开始", "进行中", "已完成", "滞后", "平均进度"):
        assert status in goals_text
    assert f"{len(bundle.goals)}项" in goals_text
    assert "一条主线" in goals_text and "四个意识" in goals_text
    problems_text = slide_text(prs.slides[-1])
    for p in bundle.problems.to_dict("records"):
        assert p["problem"] in problems_text
    assert len(named(prs.slides[-1], "Problem")) == len(bundle.problems)


def test_every_run_has_chinese_font(prs):
    runs = 0
    for slide in prs.slides:
        for shape in slide.shapes:
            if not shape.has_text_frame:
                continue
            for p in shape.text_frame.paragraphs:
                for r in p.runs:
                    runs += 1
                    rPr = r._r.find(qn("a:rPr"))
                    assert rPr.find(qn("a:latin")).get("typeface") == deck.FONT
                    assert rPr.find(qn("a:ea")).get("typeface") == deck.FONT
                    assert r.font.size.pt >= 12
    assert runs > 50


def test_progress_increases_to_one(built):
    _, calls = built
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)
    assert fractions[0] >= 0 and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in calls)
    assert any(m == "正在生成：党建引领" for _, m in calls)


def test_deck_without_cjk_font_has_notes_and_plain_text(bundle, monkeypatch):
    monkeypatch.setattr(images, "find_cjk_font_dirs", lambda: images.CJKFont([], None))
    images.reset_font_cache()
    problems = bundle.problems.copy()
    problems.loc[problems.index[0], "problem"] = "<b>加粗</b> **星号** & [链接](x)"
    odd = dataclasses.replace(bundle, problems=problems)
    try:
        raw = deck.build_deck(odd, today=TODAY)
    finally:
        monkeypatch.undo()
        images.reset_font_cache()
    prs = Presentation(io.BytesIO(raw))
    assert len(prs.slides) == 1 + len(bundle.sections) + 2
    for slide in prs.slides:
        assert not [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    notes = [s.text_frame.text for s in named(prs.slides[1], "ChartNote")]
    assert notes and "中文字体" in notes[0]
    assert "<b>加粗</b> **星号** & [链接](x)" in slide_text(prs.slides[-1])
