"""The PPT deck of the report: a title slide, one slide per section, the 2021 goals and the problems.

16:9, blank layout only (the default template's placeholders stay where 4:3 put them), every text
box placed and centred by hand, every run in a Chinese font (Latin and East Asian typeface), data
text as plain runs. Charts are PNGs from images.chart_png; without a Chinese font the deck is still
built, with a note where the chart would be.
"""

from __future__ import annotations

import copy
import io
import logging
import math
import re
import struct
from collections.abc import Callable
from datetime import date

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from townboard import charts, fmt, goals, images, schema

log = logging.getLogger(__name__)

TOWN = "铁石口镇"
REPORT = "铁石口镇2020年工作总结和2021年工作打算"
DECK_SUBTITLE = "2020年工作总结和2021年工作打算 · 工作成效汇报"
SOURCE_LINE = f"数据来源：《{REPORT}》"
GOALS_TITLE = "2021年目标任务推进情况"
PROBLEMS_TITLE = "存在的问题"

FONT = "Microsoft YaHei"
SLIDE_W = Emu(12192000)  # 13.333 in
SLIDE_H = Emu(6858000)  # 7.5 in
MARGIN = Inches(0.5)
CONTENT_W = SLIDE_W - 2 * MARGIN

INK = RGBColor(0x1F, 0x29, 0x37)
MUTED = RGBColor(0x5F, 0x67, 0x73)
ACCENT = RGBColor(0x00, 0x72, 0xB2)  # charts.PALETTE[0]
CARD = RGBColor(0xF1, 0xF5, 0xF9)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)

KEY_FIGURES = 6
CHART_FONT_FACTOR = 1.35  # chart text is drawn for a screen; a projector needs it larger
SECTION_CHART_WIDTH = 620  # plot width in px; axis labels come on top
GOALS_CHART_WIDTH = 360

NOTE_NO_FONT = "（此处应有图表：服务器上找不到中文字体，为避免中文显示成方框，未插入图表。{detail}）"
NOTE_CHART_FAILED = "（此处应有图表：图表生成失败，请在看板中查看。）"

Progress = Callable[[float, str], None]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# ---------------------------------------------------------------- text helpers


def clean(value) -> str:
    """Data text as one plain line: no characters XML refuses, line breaks as spaces."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    text = str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return _NOT_XML.sub("", text).strip()


def _char_em(ch: str) -> float:
    return 1.0 if ord(ch) >= 0x2E80 or ch in "％＋－，。：；" else 0.58


def text_width_in(text: str, size_pt: float) -> float:
    """Rough width of one line of text, in inches (CJK 1 em, Latin and digits about 0.58 em)."""
    return sum(_char_em(c) for c in text) * size_pt / 72


def fit_size(text: str, width_in: float, largest: float, smallest: float) -> float:
    """The largest font size (pt, in steps of 2) at which text fits on one line of width_in."""
    size = largest
    while size > smallest and text_width_in(text, size) > width_in:
        size -= 2
    return max(size, smallest)


def shorten(text: str, limit: int) -> str:
    """Whole sentences up to limit characters, else cut at a comma, with an ellipsis when cut."""
    text = clean(text)
    if len(text) <= limit:
        return text
    sentences = re.findall(r"[^。！？!?]+[。！？!?]?", text)
    out = ""
    for s in sentences:
        if len(out) + len(s) > limit:
            break
        out += s
    if out:
        return out
    head = text[:limit]
    cut = max(head.rfind(c) for c in "，,；;、")
    if cut >= limit // 2:
        head = head[:cut]
    return head.rstrip("，,；;、 ") + "……"


def _set_font(run, size: float, bold: bool = False, color: RGBColor = INK) -> None:
    """Size, weight, colour and the Chinese font on a run: a:latin and a:ea both name FONT."""
    font = run.font
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = color
    font.name = FONT
    rPr = run._r.get_or_add_rPr()
    rPr.set("lang", "zh-CN")
    rPr.set("altLang", "en-US")
    ea = rPr.find(qn("a:ea"))
    if ea is None:
        ea = rPr.makeelement(qn("a:ea"), {})
        latin = rPr.find(qn("a:latin"))
        latin.addnext(ea)
    ea.set("typeface", FONT)


def _paragraph(tf, text: str, size: float, bold=False, color=INK, align=PP_ALIGN.CENTER, first=False, space=0):
    p = tf.paragraphs[0] if first else tf.add_paragraph()
    p.alignment = align
    if space:
        p.space_before = Pt(space)
    run = p.add_run()
    run.text = clean(text)
    _set_font(run, size, bold, color)
    return p


def _frame(shape, anchor=MSO_ANCHOR.TOP, margin: float = 0.05):
    tf = shape.text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.vertical_anchor = anchor
    m = Inches(margin)
    tf.margin_left = tf.margin_right = m
    tf.margin_top = tf.margin_bottom = Inches(0.03)
    return tf


def text_box(
    slide,
    left,
    top,
    width,
    height,
    text: str,
    size: float,
    *,
    bold=False,
    color=INK,
    align=PP_ALIGN.CENTER,
    anchor=MSO_ANCHOR.TOP,
    name: str | None = None,
):
    shape = slide.shapes.add_textbox(left, top, width, height)
    if name:
        shape.name = name
    tf = _frame(shape, anchor)
    _paragraph(tf, text, size, bold, color, align, first=True)
    return shape


def _card(slide, left, top, width, height, name: str | None = None):
    shape = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, left, top, width, height)
    shape.adjustments[0] = 0.08
    shape.fill.solid()
    shape.fill.fore_color.rgb = CARD
    shape.line.fill.background()
    shape.shadow.inherit = False
    if name:
        shape.name = name
    return shape


def _bar(slide, left, top, width, height, color=ACCENT):
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height)
    shape.fill.solid()
    shape.fill.fore_color.rgb = color
    shape.line.fill.background()
    shape.shadow.inherit = False
    return shape


def add_title(slide, title: str, subtitle: str = "") -> None:
    """Title (and subtitle) centred across the slide, with a short accent rule under them."""
    text_box(
        slide,
        MARGIN,
        Inches(0.3),
        CONTENT_W,
        Inches(0.75),
        title,
        fit_size(clean(title), 12.0, 32, 22),
        bold=True,
        anchor=MSO_ANCHOR.MIDDLE,
        name="Title",
    )
    if subtitle:
        text_box(
            slide,
            MARGIN,
            Inches(1.03),
            CONTENT_W,
            Inches(0.48),
            subtitle,
            fit_size(clean(subtitle), 12.0, 18, 12),
            color=MUTED,
            anchor=MSO_ANCHOR.MIDDLE,
            name="Subtitle",
        )
    rule_w = Inches(1.2)
    _bar(slide, (SLIDE_W - rule_w) // 2, Inches(1.56), rule_w, Inches(0.05))


def add_source(slide) -> None:
    text_box(
        slide,
        MARGIN,
        Inches(6.98),
        CONTENT_W,
        Inches(0.35),
        SOURCE_LINE,
        12,
        color=MUTED,
        align=PP_ALIGN.LEFT,
        anchor=MSO_ANCHOR.MIDDLE,
        name="Source",
    )


# ---------------------------------------------------------------- pictures


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from the PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def add_picture_fit(slide, png: bytes, left, top, max_w, max_h, name: str = "Chart"):
    """The picture as large as fits the box, keeping its proportions, centred in the box."""
    w_px, h_px = png_size(png)
    ratio = min(max_w / w_px, max_h / h_px)
    w, h = int(w_px * ratio), int(h_px * ratio)
    pic = slide.shapes.add_picture(io.BytesIO(png), left + (max_w - w) // 2, top + (max_h - h) // 2, w, h)
    pic.name = name
    return pic


def slide_spec(spec: dict, factor: float = CHART_FONT_FACTOR) -> dict:
    """A copy of a chart spec for a slide: every font size (and label width limit) scaled up.

    Also turns the number format "," into ",.12~g": as an axis format, "," lets Vega pick a precision
    from the tick step and write 400 as "4e+2".
    """
    out = copy.deepcopy(spec)

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("fontSize", "labelLimit") and isinstance(value, int | float):
                    node[key] = round(value * factor, 1)
                elif key == "format" and value == ",":
                    node[key] = ",.12~g"
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(out)
    config = out.setdefault("config", {})
    base = round(11 * factor, 1)
    for part, keys in (
        ("axis", ("labelFontSize", "titleFontSize")),
        ("legend", ("labelFontSize", "titleFontSize")),
        ("text", ("fontSize",)),
    ):
        section = config.setdefault(part, {})
        for key in keys:
            section.setdefault(key, base)
    config.setdefault("title", {}).setdefault("fontSize", round(13 * factor, 1))
    return out


class _Charts:
    """Renders chart PNGs for the deck; remembers a missing font so it is only looked for once."""

    def __init__(self):
        self.missing: images.CJKFontMissing | None = None

    def png(self, chart, width: int) -> bytes | str:
        """PNG bytes, or the Chinese note to show instead."""
        if self.missing is not None:
            return NOTE_NO_FONT.format(detail=str(self.missing))
        try:
            return images.chart_png(slide_spec(charts.to_spec(chart)), scale=2.0, width=width)
        except images.CJKFontMissing as exc:
            self.missing = exc
            return NOTE_NO_FONT.format(detail=str(exc))
        except Exception:  # a chart must never stop the deck
            log.warning("deck chart failed", exc_info=True)
            return NOTE_CHART_FAILED

    def place(self, slide, chart, width: int, left, top, max_w, max_h) -> bool:
        result = self.png(chart, width)
        if isinstance(result, bytes):
            add_picture_fit(slide, result, left, top, max_w, max_h)
            return True
        text_box(slide, left, top, max_w, max_h, result, 14, color=MUTED, anchor=MSO_ANCHOR.MIDDLE, name="ChartNote")
        return False


# ---------------------------------------------------------------- data helpers


def headline_rows(rows: pd.DataFrame, limit: int = KEY_FIGURES) -> pd.DataFrame:
    """Same rule as ui.headline_rows: highlighted rows by rank, else the first rows."""
    ranked = rows.loc[rows["highlight"].notna()].sort_values("highlight", kind="stable")
    if ranked.empty:
        ranked = rows
    return ranked.head(limit)


def section_rows(indicators: pd.DataFrame, section: str) -> pd.DataFrame:
    """A section's indicators of its latest year (as the overview shows them)."""
    rows = indicators.loc[indicators["section"] == section]
    years = rows["year"].dropna()
    return rows.loc[rows["year"] == years.max()] if len(years) else rows


def section_chart(rows: pd.DataFrame):
    """The section's largest same-unit group (charts.mini_chart), else its rates as bars."""
    chart = charts.mini_chart(rows)
    if chart is None:
        rates = rows.loc[rows["unit"] == "%"].head(5)
        if len(rates) >= 2:
            chart = charts.bar_chart(rates, title="比率类指标")
    return chart


def _date_text(today: date) -> str:
    return f"{today.year}年{today.month}月{today.day}日"


# ---------------------------------------------------------------- slides


def _blank_layout(prs):
    for layout in prs.slide_layouts:
        if layout.name == "Blank":
            return layout
    return prs.slide_layouts[6]


def title_slide(prs, today: date) -> None:
    slide = prs.slides.add_slide(_blank_layout(prs))
    _bar(slide, 0, 0, SLIDE_W, Inches(0.22))
    text_box(
        slide, MARGIN, Inches(2.0), CONTENT_W, Inches(1.1), TOWN, 54, bold=True, anchor=MSO_ANCHOR.MIDDLE, name="Title"
    )
    text_box(
        slide,
        MARGIN,
        Inches(3.2),
        CONTENT_W,
        Inches(0.7),
        DECK_SUBTITLE,
        28,
        color=ACCENT,
        anchor=MSO_ANCHOR.MIDDLE,
        name="Subtitle",
    )
    rule_w = Inches(1.6)
    _bar(slide, (SLIDE_W - rule_w) // 2, Inches(4.1), rule_w, Inches(0.06))
    text_box(
        slide,
        MARGIN,
        Inches(4.4),
        CONTENT_W,
        Inches(0.5),
        _date_text(today),
        20,
        color=MUTED,
        anchor=MSO_ANCHOR.MIDDLE,
        name="Date",
    )
    add_source(slide)


def _figure_cards(slide, cards: list[tuple[str, str]], top, area_h, big: float = 30) -> None:
    """Key figures as cards in a grid (3 a row): the figure large, its name under it."""
    n = len(cards)
    if not n:
        return
    cols = 2 if n == 4 else min(3, n)
    rows = math.ceil(n / cols)
    gap = Inches(0.2)
    cell_w = (CONTENT_W - gap * (cols - 1)) // cols
    cell_h = (area_h - gap * (rows - 1)) // rows
    width_in = cell_w / 914400 - 0.3
    for i, (figure_text, name) in enumerate(cards):
        r, c = divmod(i, cols)
        shape = _card(slide, MARGIN + c * (cell_w + gap), top + r * (cell_h + gap), cell_w, cell_h, name="KeyFigure")
        tf = _frame(shape, MSO_ANCHOR.MIDDLE, margin=0.12)
        _paragraph(
            tf, figure_text, fit_size(clean(figure_text), width_in, big, 16), bold=True, color=ACCENT, first=True
        )
        label = shorten(name, 36)
        _paragraph(tf, label, 14 if text_width_in(label, 14) <= 2 * width_in else 12, color=INK, space=2)


def section_slide(prs, section: dict, rows: pd.DataFrame, renderer: _Charts) -> None:
    slide = prs.slides.add_slide(_blank_layout(prs))
    add_title(slide, f"{section['order']}. {clean(section['section'])}", clean(section.get("heading", "")))
    key = headline_rows(rows).to_dict("records")
    cards = [(fmt.row_figure(r), fmt.label(clean(r["indicator"]), clean(r.get("scope", "")))) for r in key]
    try:
        chart = section_chart(rows) if len(rows) else None
    except Exception:  # odd data must not stop the deck: the slide keeps its figures
        log.warning("deck: no chart for %s", section.get("section"), exc_info=True)
        chart = None
    figures_top, figures_h = Inches(1.8), Inches(2.3 if len(cards) > 3 else 1.3)
    if not cards:
        text_box(slide, MARGIN, figures_top, CONTENT_W, Inches(0.6), "本板块暂无指标数据", 18, color=MUTED)
    _figure_cards(slide, cards, figures_top, figures_h)
    box_top = figures_top + figures_h + Inches(0.15)
    box_h = Inches(6.9) - box_top
    if chart is not None:
        renderer.place(slide, chart, SECTION_CHART_WIDTH, MARGIN, box_top, CONTENT_W, box_h)
    else:
        summary = shorten(section.get("summary", ""), 160)
        if summary:
            text_box(slide, Inches(1.0), box_top, SLIDE_W - Inches(2.0), box_h, summary, 18, anchor=MSO_ANCHOR.MIDDLE)
    add_source(slide)


def goals_slide(prs, goal_rows: pd.DataFrame, renderer: _Charts) -> None:
    slide = prs.slides.add_slide(_blank_layout(prs))
    avg = goals.average_progress(goal_rows) if len(goal_rows) else None
    add_title(slide, GOALS_TITLE, f"共{len(goal_rows)}项任务 · 平均进度{goals.fmt_progress(avg)}")
    counts = goals.status_counts(goal_rows) if len(goal_rows) else dict.fromkeys(schema.GOAL_STATUSES, 0)
    cards = [(f"{n}项", status) for status, n in counts.items()] + [(goals.fmt_progress(avg), "平均进度")]
    # one row of cards
    n = len(cards)
    gap = Inches(0.2)
    cell_w = (CONTENT_W - gap * (n - 1)) // n
    for i, (figure_text, label) in enumerate(cards):
        shape = _card(slide, MARGIN + i * (cell_w + gap), Inches(1.8), cell_w, Inches(1.3), name="KeyFigure")
        tf = _frame(shape, MSO_ANCHOR.MIDDLE, margin=0.1)
        _paragraph(tf, figure_text, 32, bold=True, color=ACCENT, first=True)
        _paragraph(tf, label, 16, space=2)
    top = Inches(3.35)
    height = Inches(6.9) - top
    left_w = Inches(4.6)
    roll = goals.rollup(goal_rows, "group") if len(goal_rows) else pd.DataFrame()
    box = slide.shapes.add_textbox(MARGIN, top, left_w, height)
    box.name = "GroupProgress"
    tf = _frame(box, MSO_ANCHOR.TOP)
    _paragraph(tf, "各类别平均进度", 20, bold=True, align=PP_ALIGN.LEFT, first=True)
    if roll.empty:
        _paragraph(tf, "暂无目标任务数据", 16, color=MUTED, align=PP_ALIGN.LEFT, space=8)
    for rec in roll.to_dict("records"):
        group = clean(rec[roll.columns[0]])
        text = f"{group}：{fmt.percent(rec['平均进度'])}（{int(rec['任务数'])}项）"
        _paragraph(tf, text, 18, align=PP_ALIGN.LEFT, space=8)
    chart = None
    if not roll.empty:
        try:
            chart = charts.progress_chart(roll, by=roll.columns[0], title="各类别平均进度（%）")
        except Exception:
            log.warning("deck: no goals chart", exc_info=True)
    if chart is not None:
        chart_left = MARGIN + left_w + Inches(0.3)
        renderer.place(slide, chart, GOALS_CHART_WIDTH, chart_left, top, SLIDE_W - MARGIN - chart_left, height)
    add_source(slide)


def problems_slide(prs, problems: pd.DataFrame) -> None:
    slide = prs.slides.add_slide(_blank_layout(prs))
    shown = problems.head(6)
    add_title(slide, PROBLEMS_TITLE, f"报告指出的{len(problems)}个问题")
    if shown.empty:
        text_box(slide, MARGIN, Inches(2.0), CONTENT_W, Inches(0.6), "暂无问题数据", 18, color=MUTED)
    n = max(1, len(shown))
    gap = Inches(0.15)
    top, bottom = Inches(1.8), Inches(6.9)
    card_h = (bottom - top - gap * (n - 1)) // n
    limit = 110 if n <= 3 else 60 if n <= 4 else 0
    for i, p in enumerate(shown.to_dict("records")):
        y = top + i * (card_h + gap)
        _bar(slide, MARGIN, y, Inches(0.1), card_h)
        shape = _card(slide, MARGIN + Inches(0.15), y, CONTENT_W - Inches(0.15), card_h, name="Problem")
        tf = _frame(shape, MSO_ANCHOR.MIDDLE, margin=0.2)
        _paragraph(
            tf,
            f"{clean(p['id'])}　{clean(p['problem'])}",
            22 if n <= 3 else 18,
            bold=True,
            align=PP_ALIGN.LEFT,
            first=True,
        )
        if limit:
            _paragraph(tf, shorten(p.get("detail", ""), limit), 16, align=PP_ALIGN.LEFT, space=4)
        ids = [x for x in re.split(r"[;；,，\s]+", clean(p.get("goal_ids", ""))) if x]
        if ids and n <= 3:
            _paragraph(tf, f"对应2021年目标 {len(ids)} 项", 12, color=MUTED, align=PP_ALIGN.LEFT, space=4)
    if len(problems) > len(shown):
        text_box(
            slide, MARGIN, Inches(6.6), CONTENT_W, Inches(0.3), f"另有{len(problems) - len(shown)}个问题未列出", 12
        )
    add_source(slide)


# ---------------------------------------------------------------- the deck


def build_deck(bundle, progress: Progress | None = None, today: date | None = None) -> bytes:
    """The whole deck as .pptx bytes. progress(fraction, message) is called as slides are made."""
    today = today or date.today()
    sections = bundle.sections.sort_values("order", kind="stable").to_dict("records")
    steps = 1 + len(sections) + 2 + 1
    done = 0

    def report(message: str) -> None:
        nonlocal done
        if progress is not None:
            progress(done / steps, message)
        done += 1

    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    renderer = _Charts()

    report("正在生成：封面")
    title_slide(prs, today)
    for sec in sections:
        report(f"正在生成：{clean(sec['section'])}")
        section_slide(prs, sec, section_rows(bundle.indicators, sec["section"]), renderer)
    report("正在生成：2021年目标")
    goals_slide(prs, bundle.goals, renderer)
    report("正在生成：存在的问题")
    problems_slide(prs, bundle.problems)
    report("正在保存PPT文件")
    buf = io.BytesIO()
    prs.save(buf)
    if progress is not None:
        progress(1.0, "汇报PPT已生成")
    return buf.getvalue()
