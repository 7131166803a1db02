"""The shipped data says what the 2020 report says — no more, no less.

data/report.txt is the report (an identical copy of shared/seed/tieshikou-2020-report.txt). These
tests hold data/{sections,indicators,goals_2021,problems}.csv to it:

- every `source` is a verbatim clause of the right part of the report (indicators: part 一,
  goals: part 三; problem `detail`: part 二), and an indicator sits in the section of the report
  its source is in;
- every indicator's value is a whole number token of its source, exactly as typed (0.8320 keeps
  its trailing zero, 15 is not "found" inside 15.74);
- completeness: every Arabic-digit token of part 一 is the value of a row whose source covers that
  very occurrence, or is on EXCLUSIONS below (dates, ordinals, numbers in names) — never both;
- ids are unique and every reference between the files resolves;
- the figures a user reads aloud are right, found by source and value (not by id).

The checks are plain functions returning a list of problems, so `test_checks_bite` can run them
on tampered copies and prove they fail. As-written checks read the CSVs with the csv module (the
loader turns values into floats); the loader is checked to agree with the raw text.

Only indicator rows of year 2020 are held to the report: rows of other years that officials add
later for comparison do not come from it.
"""

from __future__ import annotations

import copy
import csv
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from townboard.data import load

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
REPORT_YEAR = "2020"

TOKEN = re.compile(r"\d+(?:\.\d+)?")  # an Arabic-digit number as the report writes it

PART_MARKS = {"一": "一、2020年工作开展情况", "二": "二、存在的问题", "三": "三、2021年工作打算"}

SECTION_NAMES = ["党建引领", "脱贫攻坚", "产业发展", "项目建设", "生态环境", "民生保障", "疫情防控"]

# Every Arabic-digit token of part 一 that is deliberately NOT recorded as a figure, as
# (context, token, reason): context is a verbatim snippet of the report, unique in it, holding the
# excluded occurrence of token. One entry per excluded occurrence.
EXCLUSIONS: list[tuple[str, str, str]] = [
    # --- part heading (added here: the checker scans the whole of part 一, heading included) ---
    # the year in the part's own title
    ("一、2020年工作开展情况", "2020", "日期（第一部分标题中的年份）"),
    # --- curator A (sections 一 to 四) ---
    # "1-11月" is the period of the collective-income figures: recorded in `period`, not a figure
    ("1-11月,14个村共完成", "1", "时段（1-11月，已写入period）"),
    ("1-11月,14个村共完成", "11", "时段（1-11月，已写入period）"),
    # a year inside a document title
    ("《铁石口镇2020年机关干部", "2020", "日期（文件名中的年份）"),
    # anniversary in an event name (建党99周年)
    ("建党99周年", "99", "名称中的数字（纪念周年）"),
    # years inside document titles
    ("《铁石口镇2020年脱贫攻坚工作意见》", "2020", "日期（文件名中的年份）"),
    ("铁石口镇2019年脱贫攻坚工作要点", "2019", "日期（文件名中的年份）"),
    # road numbers: national road 105, county road X064 (the lengths on them are figures)
    ("(105国道至坝高村部)", "105", "名称中的数字（国道编号）"),
    ("(X064县道至长远村部)", "064", "名称中的数字（县道编号X064）"),
    # --- curator B (sections 五 to 七) ---
    # dates (7月底, 8月底): recorded in `period` of the rows they date
    ("7月底完成14个村", "7", "日期（7月底，已写入period）"),
    ("8月底全镇174个", "8", "日期（8月底，已写入period）"),
    # national road 105 named again
    ("对105国道两旁店铺", "105", "名称中的数字（105国道）"),
    ("对105国道等主干道", "105", "名称中的数字（105国道）"),
    # the insurance year (2020年度)
    ("2020年度参保", "2020", "日期（年度）"),
    # ordinal in an event name (第36个教师节)
    ("第36个教师节", "36", "序数（第36个教师节）"),
    # the name of a group of universities (985院校)
    ("考取985院校", "985", "名称中的数字（985院校）"),
    # rank thresholds (前200名, 前400名): part of the indicator name, the figure is the head count
    ("进入全县前200名", "200", "名次界限（前200名，属排名序数，已写入指标名）"),
    ("总分前400名", "400", "名次界限（前400名，属排名序数，已写入指标名）"),
    # the name of a method ("5+1"模式)
    ("按照“5+1”模式", "5", "名称中的数字（“5+1”模式）"),
    ("按照“5+1”模式", "1", "名称中的数字（“5+1”模式）"),
    # a date (3月以来): recorded in `period`
    ("进入3月以来", "3", "日期（3月，已写入period“3月以来”）"),
]

# Figures a user will read aloud, found by (source substring, value as written) — never by id.
# `expect` holds columns as typed in the CSV; note_contains / parent_value are checked specially.
KEY_FIGURES: list[tuple[str, str, str, dict[str, str]]] = [
    ("村集体收入", "村集体收入537.65万", "537.65", {"unit": "万元", "period": "1-11月", "qualifier": ""}),
    ("经营性收入", "实现经营性收入217.96万元", "217.96", {"unit": "万元", "qualifier": "", "parent_value": "537.65"}),
    ("拆除空心房主房栋数", "主房1601栋134163平方米", "1601", {"unit": "栋", "qualifier": ""}),
    ("拆除空心房主房面积", "主房1601栋134163平方米", "134163", {"unit": "平方米", "qualifier": ""}),
    ("拆除空心房附房栋数", "附房509栋", "509", {"unit": "栋", "qualifier": ""}),
    ("现有农村低保户数", "现有农村低保656户", "656", {"unit": "户", "qualifier": ""}),
    ("现有农村低保人数", "现有农村低保656户,1306人", "1306", {"unit": "人", "qualifier": ""}),
    ("光伏扶贫分红", "光伏扶贫年度分红7.3万元", "7.3", {"unit": "万元", "scope": "细车村"}),
    ("整改率", "整改率100%", "100", {"unit": "%", "target": "100"}),
    ("城乡居民参保人数", "参保人数达38051人", "38051", {"unit": "人", "qualifier": ""}),
    ("救助资金", "发放救助资金6多万多元", "6", {"unit": "万元", "qualifier": "多", "note_contains": "6多万多元"}),
    ("平安复学学生", "近5400余名学生", "5400", {"qualifier": "近", "note_contains": "近5400余名"}),
    ("城镇低保月保障金", "0.8320万元", "0.8320", {"unit": "万元", "period": "每月"}),
]

Rows = list[dict[str, str]]


# ------------------------------------------------------------------ reading


def read_report(data_dir: Path = DATA_DIR) -> str:
    return (data_dir / "report.txt").read_text(encoding="utf-8")


def read_rows(path: Path) -> Rows:
    """A CSV as typed: every cell the exact text of the file (no number parsing)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [dict(r) for r in csv.DictReader(f)]


def write_rows(path: Path, rows: Rows) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_all(data_dir: Path = DATA_DIR) -> dict[str, Rows]:
    return {kind: read_rows(data_dir / f"{kind}.csv") for kind in ("sections", "indicators", "goals_2021", "problems")}


def split_ids(cell: str) -> list[str]:
    return [x.strip() for x in (cell or "").split(";") if x.strip()]


def report_rows(indicators: Rows) -> Rows:
    """The indicator rows that come from the report (year 2020)."""
    return [r for r in indicators if (r.get("year") or "").strip() == REPORT_YEAR]


# ------------------------------------------------------------------ the report's layout


def occurrences(report: str, text: str) -> list[int]:
    """Every start position of text in report (overlapping ones too)."""
    out, i = [], report.find(text) if text else -1
    while i >= 0:
        out.append(i)
        i = report.find(text, i + 1)
    return out


def part_spans(report: str) -> dict[str, tuple[int, int]]:
    """Part 一/二/三 -> (start, end) character offsets: each part runs to the next part's heading."""
    starts = {}
    for part, mark in PART_MARKS.items():
        found = occurrences(report, mark)
        assert len(found) == 1, f"part heading {mark!r} found {len(found)} times in the report"
        starts[part] = found[0]
    return {"一": (starts["一"], starts["二"]), "二": (starts["二"], starts["三"]), "三": (starts["三"], len(report))}


def section_spans(report: str, sections: Rows) -> list[tuple[str, int, int]]:
    """(section, start, end) of each section of part 一, from the heading positions in report order.

    A section runs from its heading to the next section's heading; the last one to part 二.
    Headings not found in the report are left out (check_sections_file reports them).
    """
    p1_start, p1_end = part_spans(report)["一"]
    starts = []
    for row in sections:
        found = [i for i in occurrences(report, row["heading"]) if p1_start <= i < p1_end]
        if found:
            starts.append((found[0], row["section"]))
    starts.sort()
    ends = [s for s, _ in starts[1:]] + [p1_end]
    return [(name, start, end) for (start, name), end in zip(starts, ends)]


def report_tokens(report: str) -> dict[int, str]:
    """Start position -> number token, over the whole report."""
    return {m.start(): m.group() for m in TOKEN.finditer(report)}


def covered_positions(report: str, row: dict[str, str], tokens: dict[int, str] | None = None) -> set[int]:
    """Report positions of the row's value inside occurrences of its source.

    A position counts only when the report's own token there is exactly the value as written:
    15 is not found in 15.74, and a source cut mid-number ("5.74万元") covers nothing.
    """
    tokens = report_tokens(report) if tokens is None else tokens
    value, source = (row.get("value") or "").strip(), row.get("source") or ""
    out: set[int] = set()
    for m in occurrences(report, source):
        for t in TOKEN.finditer(source):
            pos = m + t.start()
            if t.group() == value and tokens.get(pos) == value:
                out.add(pos)
    return out


def around(report: str, pos: int, width: int = 14) -> str:
    return "…" + report[max(0, pos - width) : pos + width].replace("\n", " ") + "…"


# ------------------------------------------------------------------ the checks (lists of problems)


def check_sources(report: str, indicators: Rows, goals: Rows, problems: Rows) -> list[str]:
    """Sources verbatim and in the right part: indicators in 一, goals in 三, problem details in 二."""
    parts = part_spans(report)
    out = []

    def inside(text: str, part: str) -> bool:
        start, end = parts[part]
        return any(start <= i and i + len(text) <= end for i in occurrences(report, text))

    for file, rows, col, part in (
        ("indicators.csv", report_rows(indicators), "source", "一"),
        ("goals_2021.csv", goals, "source", "三"),
        ("problems.csv", problems, "detail", "二"),
    ):
        for r in rows:
            text = r.get(col) or ""
            if not text.strip():
                out.append(f"{file} {r['id']}: {col} is empty")
            elif text not in report:
                out.append(f"{file} {r['id']}: {col} is not verbatim in the report: {text!r}")
            elif not inside(text, part):
                out.append(f"{file} {r['id']}: {col} is not in part {part} of the report: {text!r}")
    return out


def check_values_in_source(report: str, indicators: Rows) -> list[str]:
    """Every value, as typed, is a whole number token of its source where the source sits in part 一."""
    p1_start, p1_end = part_spans(report)["一"]
    tokens = report_tokens(report)
    out = []
    for r in report_rows(indicators):
        value, source = (r.get("value") or "").strip(), r.get("source") or ""
        if source not in report:
            continue  # reported by check_sources
        in_source = [t.group() for t in TOKEN.finditer(source)]
        if value not in in_source:
            out.append(
                f"indicators.csv {r['id']}: value {value!r} is not a number token of its source "
                f"(tokens there: {', '.join(in_source) or 'none'}): {source!r}"
            )
        elif not {p for p in covered_positions(report, r, tokens) if p1_start <= p < p1_end}:
            out.append(
                f"indicators.csv {r['id']}: value {value!r} is only part of a longer number of the report "
                f"where the source {source!r} stands (part 一)"
            )
    return out


def check_indicator_sections(report: str, sections: Rows, indicators: Rows) -> list[str]:
    """Each indicator's section is the section of part 一 that its source sits in."""
    spans = section_spans(report, sections)
    p1_start, p1_end = part_spans(report)["一"]
    out = []
    for r in report_rows(indicators):
        source = r.get("source") or ""
        for i in occurrences(report, source):
            if not (p1_start <= i and i + len(source) <= p1_end):
                continue
            where = [name for name, start, end in spans if start <= i and i + len(source) <= end]
            actual = where[0] if where else "(before the first section heading, or across two sections)"
            if actual != r.get("section"):
                out.append(
                    f"indicators.csv {r['id']}: section {r.get('section')!r}, but its source sits in "
                    f"{actual!r}: {source!r}"
                )
    return out


def check_sections_file(report: str, sections: Rows) -> list[str]:
    """Exactly the seven sections, headings verbatim from part 一, `order` 1..7 in report order."""
    out = []
    p1_start, p1_end = part_spans(report)["一"]
    names = [r["section"] for r in sections]
    if len(sections) != 7:
        out.append(f"sections.csv has {len(sections)} rows, expected 7")
    positions = []
    for r in sections:
        found = occurrences(report, r["heading"])
        if len(found) != 1 or not (p1_start <= found[0] < p1_end):
            out.append(f"sections.csv {r['section']}: heading is not verbatim, once, in part 一: {r['heading']!r}")
        else:
            positions.append((int(r["order"]), found[0], r["section"]))
    orders = sorted(int(r["order"]) for r in sections)
    if orders != list(range(1, len(sections) + 1)):
        out.append(f"sections.csv: order should be 1..{len(sections)}, got {orders}")
    by_order = [name for _, _, name in sorted(positions)]
    by_report = [name for _, _, name in sorted(positions, key=lambda p: p[1])]
    if by_order != by_report:
        out.append(f"sections.csv: order {by_order} differs from the report's order {by_report}")
    if sorted(names) != sorted(SECTION_NAMES):
        out.append(f"sections.csv: sections {names}, expected {SECTION_NAMES}")
    elif len(by_report) == len(SECTION_NAMES) and by_report != SECTION_NAMES:
        out.append(f"sections.csv: headings stand in the report as {by_report}, expected {SECTION_NAMES}")
    return out


def check_ids_and_references(sections: Rows, indicators: Rows, goals: Rows, problems: Rows) -> list[str]:
    """Unique ids in every file; sections, parents, baseline ids and goal ids all resolve."""
    out = []
    for file, rows, key in (
        ("sections.csv", sections, "section"),
        ("indicators.csv", indicators, "id"),
        ("goals_2021.csv", goals, "id"),
        ("problems.csv", problems, "id"),
    ):
        seen: set[str] = set()
        for r in rows:
            v = (r.get(key) or "").strip()
            if not v:
                out.append(f"{file}: empty {key}")
            elif v in seen:
                out.append(f"{file}: duplicate {key} {v!r}")
            seen.add(v)
    known_sections = {r["section"] for r in sections}
    by_id = {r["id"]: r for r in indicators}
    goal_ids = {r["id"] for r in goals}
    for r in indicators:
        if r.get("section") not in known_sections:
            out.append(f"indicators.csv {r['id']}: unknown section {r.get('section')!r}")
        parent = (r.get("parent") or "").strip()
        if not parent:
            continue
        if parent == r["id"]:
            out.append(f"indicators.csv {r['id']}: is its own parent")
        elif parent not in by_id:
            out.append(f"indicators.csv {r['id']}: parent {parent!r} is not an indicator id")
        else:
            p = by_id[parent]
            if (p.get("parent") or "").strip():
                # one level only: charts.topic_blocks raises IndexError on a part that is itself a whole
                out.append(f"indicators.csv {r['id']}: parent {parent} has a parent itself (one level only)")
            if p.get("unit") != r.get("unit"):
                out.append(
                    f"indicators.csv {r['id']}: unit {r.get('unit')!r} differs from its parent "
                    f"{parent}'s unit {p.get('unit')!r}"
                )
            try:
                if float(r["value"]) > float(p["value"]):
                    out.append(f"indicators.csv {r['id']}: part {r['value']} exceeds its whole {parent} {p['value']}")
            except ValueError:
                pass  # a non-number is the loader's business
    for r in goals:
        if (r.get("section") or "").strip() and r["section"] not in known_sections:
            out.append(f"goals_2021.csv {r['id']}: unknown section {r['section']!r}")
        for ref in split_ids(r.get("baseline_ids", "")):
            if ref not in by_id:
                out.append(f"goals_2021.csv {r['id']}: baseline id {ref!r} is not an indicator id")
    for r in problems:
        for ref in split_ids(r.get("goal_ids", "")):
            if ref not in goal_ids:
                out.append(f"problems.csv {r['id']}: goal id {ref!r} is not a goal id")
    return out


def check_parts_within_whole(indicators: Rows) -> list[str]:
    """The parts that name one parent add up to no more than it.

    The section page draws a parent and its parts as one stacked bar (parts + "其余"), which
    assumes the parts are disjoint: nested parts (villages over 20万 among villages over 10万)
    must name each other, not the same total.
    """
    by_id = {r["id"]: r for r in indicators}
    parts: dict[str, list[dict[str, str]]] = {}
    for r in indicators:
        parent = (r.get("parent") or "").strip()
        if parent in by_id:
            parts.setdefault(parent, []).append(r)
    out = []
    for pid, rows in parts.items():
        try:
            total, whole = sum(float(r["value"]) for r in rows), float(by_id[pid]["value"])
        except ValueError:
            continue  # a non-number is the loader's business
        if total > whole:
            names = " + ".join(f"{r['id']} {r['value']}" for r in rows)
            out.append(
                f"indicators.csv {pid} ({by_id[pid]['indicator']} {by_id[pid]['value']}): its parts add up to more "
                f"than the whole: {names} = {total:g}"
            )
    return out


def check_highlights(indicators: Rows) -> list[str]:
    """Per section, highlight ranks 1..6 each used exactly once (1–3 overview cards, 1–6 slides)."""
    out = []
    ranks: dict[str, list[str]] = {}
    for r in report_rows(indicators):
        if (r.get("highlight") or "").strip():
            ranks.setdefault(r["section"], []).append(r["highlight"].strip())
    for section in SECTION_NAMES:
        got = sorted(ranks.get(section, []), key=lambda x: (len(x), x))
        if got != [str(n) for n in range(1, 7)]:
            out.append(f"indicators.csv: section {section} has highlight ranks {got}, expected 1..6 once each")
    return out


def check_completeness(report: str, indicators: Rows, exclusions: list[tuple[str, str, str]]) -> list[str]:
    """Every number token of part 一 is covered by exactly one kind of thing: a row or an exclusion."""
    p1_start, p1_end = part_spans(report)["一"]
    tokens = report_tokens(report)
    part_tokens = {p: t for p, t in tokens.items() if p1_start <= p < p1_end}
    by_rows: dict[int, list[str]] = {}
    for r in report_rows(indicators):
        for pos in covered_positions(report, r, tokens):
            if pos in part_tokens:
                by_rows.setdefault(pos, []).append(r["id"])
    out = []
    by_exclusion: dict[int, str] = {}
    for context, token, reason in exclusions:
        found = occurrences(report, context)
        if len(found) != 1:
            out.append(f"exclusion context {context!r} occurs {len(found)} times in the report, must be unique")
            continue
        base = found[0]
        if not (p1_start <= base and base + len(context) <= p1_end):
            out.append(f"exclusion context {context!r} is not in part 一")
            continue
        hits = [
            base + t.start()
            for t in TOKEN.finditer(context)
            if t.group() == token and tokens.get(base + t.start()) == token
        ]
        if len(hits) != 1:
            out.append(f"exclusion ({context!r}, {token!r}) matches {len(hits)} whole tokens in its context, must be 1")
            continue
        pos = hits[0]
        if pos in by_exclusion:
            out.append(f"exclusion ({context!r}, {token!r}) repeats exclusion {by_exclusion[pos]!r}")
        if pos in by_rows:
            out.append(
                f"exclusion ({context!r}, {token!r}, {reason}) covers a token that row(s) "
                f"{', '.join(by_rows[pos])} also cover: {around(report, pos)}"
            )
        by_exclusion[pos] = context
    for pos, token in sorted(part_tokens.items()):
        if pos not in by_rows and pos not in by_exclusion:
            out.append(f"uncovered number {token!r} (no row, no exclusion): {around(report, pos)}")
    return out


def find_key_figure(indicators: Rows, source_part: str, value: str) -> list[dict[str, str]]:
    return [r for r in indicators if source_part in (r.get("source") or "") and (r.get("value") or "").strip() == value]


def check_key_figure(indicators: Rows, figure: tuple[str, str, str, dict[str, str]]) -> list[str]:
    name, source_part, value, expect = figure
    hits = find_key_figure(indicators, source_part, value)
    if len(hits) != 1:
        return [f"{name}: {len(hits)} rows with value {value!r} and source containing {source_part!r}, expected 1"]
    row, out = hits[0], []
    by_id = {r["id"]: r for r in indicators}
    for col, want in expect.items():
        if col == "note_contains":
            if want not in (row.get("note") or ""):
                out.append(f"{name} ({row['id']}): note should mention {want!r}, is {row.get('note')!r}")
        elif col == "parent_value":
            parent = by_id.get((row.get("parent") or "").strip())
            if parent is None or parent.get("value") != want:
                out.append(f"{name} ({row['id']}): parent should be the row of value {want}, is {row.get('parent')!r}")
        elif (row.get(col) or "").strip() != want:
            out.append(f"{name} ({row['id']}): {col} is {row.get(col)!r}, expected {want!r}")
    return out


def check_all(report: str, tables: dict[str, Rows], exclusions=EXCLUSIONS) -> list[str]:
    s, i, g, p = (tables[k] for k in ("sections", "indicators", "goals_2021", "problems"))
    out = check_sources(report, i, g, p)
    out += check_values_in_source(report, i)
    out += check_indicator_sections(report, s, i)
    out += check_sections_file(report, s)
    out += check_ids_and_references(s, i, g, p)
    out += check_highlights(i)
    out += check_completeness(report, i, exclusions)
    for figure in KEY_FIGURES:
        out += check_key_figure(i, figure)
    return out


def assert_none(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def report() -> str:
    return read_report()


@pytest.fixture(scope="module")
def tables() -> dict[str, Rows]:
    return read_all()


@pytest.fixture(scope="module")
def bundle():
    return load(DATA_DIR)


# ------------------------------------------------------------------ the shipped data


def test_report_is_the_seed_copy(report):
    seed = PROJECT_DIR.parent / "shared" / "seed" / "tieshikou-2020-report.txt"
    if not seed.is_file():
        pytest.skip("shared seed not present beside the project")
    assert report == seed.read_text(encoding="utf-8")


def test_shipped_data_loads_cleanly(bundle, tables):
    assert bundle.ok, "\n".join(str(i) for i in bundle.errors)
    assert not bundle.errors
    # every warning (unknown column, odd qualifier, % outside 0..100, highlight outside 1..6,
    # csv and xlsx side by side) is a defect in data we ship
    assert not bundle.warnings, "\n".join(str(i) for i in bundle.warnings)
    for kind, frame in (
        ("sections", bundle.sections),
        ("indicators", bundle.indicators),
        ("goals_2021", bundle.goals),
        ("problems", bundle.problems),
    ):
        assert len(frame) == len(tables[kind]), f"{kind}: loader kept {len(frame)} of {len(tables[kind])} rows"


def test_loader_keeps_values_as_written(bundle, tables):
    raw = {r["id"]: r for r in tables["indicators"]}
    loaded = bundle.indicators.set_index("id")
    for rid, r in raw.items():
        assert loaded.at[rid, "value_text"] == r["value"], rid
        assert loaded.at[rid, "value"] == float(r["value"]), rid
        if r["target"]:
            assert loaded.at[rid, "target"] == float(r["target"]), rid
    assert loaded.at[find_key_figure(tables["indicators"], "0.8320万元", "0.8320")[0]["id"], "value_text"] == "0.8320"


def test_completeness_also_holds_for_loader_rows(report, bundle):
    """The loader's value_text covers the report exactly as the raw CSV does."""
    df = bundle.indicators
    rows = [
        {"id": r["id"], "year": str(r["year"]), "value": r["value_text"], "source": r["source"]}
        for r in df[["id", "year", "value_text", "source"]].to_dict("records")
    ]
    assert_none(check_completeness(report, rows, EXCLUSIONS))


def test_sources_are_verbatim_and_in_the_right_part(report, tables):
    assert_none(check_sources(report, tables["indicators"], tables["goals_2021"], tables["problems"]))


def test_values_are_whole_tokens_of_their_source(report, tables):
    assert_none(check_values_in_source(report, tables["indicators"]))


def test_indicator_section_matches_report(report, tables):
    assert_none(check_indicator_sections(report, tables["sections"], tables["indicators"]))


def test_sections_file_matches_report(report, tables):
    assert_none(check_sections_file(report, tables["sections"]))
    assert [r["section"] for r in sorted(tables["sections"], key=lambda r: int(r["order"]))] == SECTION_NAMES


def test_ids_unique_and_references_resolve(tables):
    assert_none(check_ids_and_references(*(tables[k] for k in ("sections", "indicators", "goals_2021", "problems"))))


def test_parts_add_up_to_no_more_than_their_whole(tables):
    assert_none(check_parts_within_whole(tables["indicators"]))


def test_highlight_ranks(tables):
    assert_none(check_highlights(tables["indicators"]))


def test_completeness_of_part_one(report, tables):
    assert_none(check_completeness(report, tables["indicators"], EXCLUSIONS))


def test_exclusions_are_well_formed():
    assert len(EXCLUSIONS) == len(set(EXCLUSIONS)) == 21  # 20 from the curators' lists + the part heading
    for context, token, reason in EXCLUSIONS:
        assert token in context and reason.strip(), (context, token)


@pytest.mark.parametrize("figure", KEY_FIGURES, ids=[f[0] for f in KEY_FIGURES])
def test_key_figure(tables, bundle, figure):
    assert_none(check_key_figure(tables["indicators"], figure))
    _, source_part, value, _ = figure
    (row,) = find_key_figure(tables["indicators"], source_part, value)
    loaded = bundle.indicators.set_index("id").loc[row["id"]]
    assert loaded["value"] == float(value)
    assert loaded["value_text"] == value


# ------------------------------------------------------------------ the checks bite


def _where(indicators: Rows, source_part: str, value: str) -> dict[str, str]:
    (row,) = find_key_figure(indicators, source_part, value)
    return row


def _tamper_copy(tmp_path: Path, change: Callable[[Rows], None]) -> Path:
    """A copy of the data folder whose indicators.csv went through change()."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("sections.csv", "indicators.csv", "goals_2021.csv", "problems.csv", "report.txt"):
        shutil.copy2(DATA_DIR / name, folder / name)
    rows = read_rows(folder / "indicators.csv")
    change(rows)
    write_rows(folder / "indicators.csv", rows)
    return folder


def test_shipped_data_passes_check_all(report, tables):
    assert_none(check_all(report, tables))


def test_dropped_row_is_caught_though_the_loader_accepts_it(tmp_path):
    """Drop 附房509栋 from a copy: the file is still valid, but the report's 509 is now unaccounted for."""

    def drop(rows: Rows) -> None:
        rows.remove(_where(rows, "附房509栋", "509"))

    folder = _tamper_copy(tmp_path, drop)
    assert load(folder).ok  # nothing the loader can see
    problems = check_all(read_report(folder), read_all(folder))
    assert any("uncovered number '509'" in p and "附房509栋" in p for p in problems), problems
    assert any("拆除空心房附房栋数" in p for p in problems), problems  # the key figure is gone too


def test_value_changed_to_an_equal_float_is_caught(tmp_path, report):
    """0.8320 -> 0.832 is the same float to the loader, but not the value as written."""

    def retype(rows: Rows) -> None:
        _where(rows, "0.8320万元", "0.8320")["value"] = "0.832"

    folder = _tamper_copy(tmp_path, retype)
    bundle = load(folder)
    assert bundle.ok and 0.832 in set(bundle.indicators["value"])
    tables = read_all(folder)
    assert any("'0.832' is not a number token" in p for p in check_values_in_source(report, tables["indicators"]))
    assert any("uncovered number '0.8320'" in p for p in check_completeness(report, tables["indicators"], EXCLUSIONS))


def _values(r, t, e):
    return check_values_in_source(r, t["indicators"])


def _sources(r, t, e):
    return check_sources(r, t["indicators"], t["goals_2021"], t["problems"])


def _sections(r, t, e):
    return check_indicator_sections(r, t["sections"], t["indicators"])


def _sections_file(r, t, e):
    return check_sections_file(r, t["sections"])


def _references(r, t, e):
    return check_ids_and_references(*(t[k] for k in ("sections", "indicators", "goals_2021", "problems")))


def _completeness(r, t, e):
    return check_completeness(r, t["indicators"], e)


def _key_figures(r, t, e):
    return [p for figure in KEY_FIGURES for p in check_key_figure(t["indicators"], figure)]


def _value_15_of_1574(t, e):
    _where(t["indicators"], "平均每个村经营性收入15.74万元", "15.74")["value"] = "15"


def _source_cut_mid_number(t, e):
    row = _where(t["indicators"], "平均每个村经营性收入15.74万元", "15.74")
    row["value"], row["source"] = "5.74", "5.74万元"


def _source_retyped(t, e):
    _where(t["indicators"], "现有农村低保656户,1306人", "656")["source"] = "现有农村低保656户，1306人"


def _source_from_part_three(t, e):
    t["indicators"][0]["source"] = "持续壮大村级集体经济"


def _goal_source_from_part_one(t, e):
    t["goals_2021"][0]["source"] = "整改率100%"


def _detail_from_part_three(t, e):
    t["problems"][0]["detail"] = "持续壮大村级集体经济"


def _wrong_section(t, e):
    _where(t["indicators"], "附房509栋", "509")["section"] = "民生保障"


def _sections_swapped(t, e):
    a, b = t["sections"][0], t["sections"][1]
    a["order"], b["order"] = b["order"], a["order"]


def _heading_retyped(t, e):
    t["sections"][0]["heading"] = t["sections"][0]["heading"].replace(",", "，")


def _parent_other_unit(t, e):
    other = _where(t["indicators"], "参保人数达38051人", "38051")["id"]
    _where(t["indicators"], "实现经营性收入217.96万元", "217.96")["parent"] = other


def _nested_parent(t, e):
    ten = _where(t["indicators"], "其中经营性收入10万以上的村14个", "14")
    ten["parent"] = _where(t["indicators"], "14个村共完成村集体收入537.65万", "14")["id"]
    _where(t["indicators"], "经营性收入20万元以上的村4个", "4")["parent"] = ten["id"]


def _dangling_goal_id(t, e):
    t["problems"][0]["goal_ids"] += ";G999"


def _dangling_baseline_id(t, e):
    t["goals_2021"][0]["baseline_ids"] = "XX-001"


def _duplicate_id(t, e):
    t["indicators"][1]["id"] = t["indicators"][0]["id"]


def _exclusion_over_a_row(t, e):
    e.append(("实现经营性收入217.96万元", "217.96", "不应排除"))


def _exclusion_not_unique(t, e):
    e[e.index(("对105国道两旁店铺", "105", "名称中的数字（105国道）"))] = ("105国道", "105", "名称中的数字")


def _exclusion_missing(t, e):
    e[:] = [x for x in e if x[1] != "2019"]


def _unit_changed(t, e):
    _where(t["indicators"], "参保人数达38051人", "38051")["unit"] = "人次"


def _qualifier_dropped(t, e):
    _where(t["indicators"], "近5400余名学生", "5400")["qualifier"] = ""


# (name, change to the tables and exclusions, checker, a fragment the checker must then report)
TAMPERINGS = [
    ("15 inside 15.74", _value_15_of_1574, _values, "'15' is not a number token"),
    ("source cut mid-number", _source_cut_mid_number, _values, "only part of a longer number"),
    ("source not verbatim", _source_retyped, _sources, "not verbatim"),
    ("indicator source from part 三", _source_from_part_three, _sources, "not in part 一"),
    ("goal source from part 一", _goal_source_from_part_one, _sources, "not in part 三"),
    ("problem detail from part 三", _detail_from_part_three, _sources, "not in part 二"),
    ("wrong section", _wrong_section, _sections, "but its source sits in '生态环境'"),
    ("sections out of order", _sections_swapped, _sections_file, "differs from the report's order"),
    ("heading not verbatim", _heading_retyped, _sections_file, "heading is not verbatim"),
    ("parent with another unit", _parent_other_unit, _references, "differs from its parent"),
    ("nested parent", _nested_parent, _references, "has a parent itself"),
    ("dangling goal id", _dangling_goal_id, _references, "'G999' is not a goal id"),
    ("dangling baseline id", _dangling_baseline_id, _references, "'XX-001' is not an indicator id"),
    ("duplicate id", _duplicate_id, _references, "duplicate id"),
    ("exclusion over a row", _exclusion_over_a_row, _completeness, "also cover"),
    ("exclusion context not unique", _exclusion_not_unique, _completeness, "must be unique"),
    ("exclusion missing", _exclusion_missing, _completeness, "uncovered number '2019'"),
    ("unit changed", _unit_changed, _key_figures, "unit is '人次', expected '人'"),
    ("qualifier dropped", _qualifier_dropped, _key_figures, "qualifier is '', expected '近'"),
]


@pytest.mark.parametrize("name, change, checker, expected", TAMPERINGS, ids=[x[0] for x in TAMPERINGS])
def test_checks_bite(report, tables, name, change, checker, expected):
    assert_none(checker(report, tables, list(EXCLUSIONS)))  # clean before
    t, e = copy.deepcopy(tables), list(EXCLUSIONS)
    change(t, e)
    problems = checker(report, t, e)
    assert any(expected in p for p in problems), f"{name}: expected a problem containing {expected!r}, got {problems}"
