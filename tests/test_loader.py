"""The data layer as an official meets it: which files load, with which numbers, and what the
Chinese messages say (file, Excel row with the header as row 1, column label) when they don't.

Every test builds its own data folder in tmp_path (see tests/loader_helpers.py).
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from loader_helpers import (
    ALIASES,
    HEADERS,
    REQUIRED,
    SHIPPED_SECTIONS,
    good_goals,
    good_indicators,
    good_problems,
    good_rows,
    label,
    make_data_dir,
    run_cli,
    run_cli_many,
    shipped_sections,
    table_text,
    write_xlsx,
)

from townboard.data import load

FILE_OF = {"sections": "sections.csv", "indicators": "indicators.csv", "goals_2021": "goals_2021.csv",
           "problems": "problems.csv"}  # fmt: skip
TABLE_OF = {"sections": "sections", "indicators": "indicators", "goals_2021": "goals", "problems": "problems"}


def issues_at(issues, file: str, row: int | None, column: str | None = None, level: str = "error"):
    return [i for i in issues if i.file == file and i.row == row and i.column == column and i.level == level]


def assert_told(issue, file: str, row: int | None, column: str | None, *fragments: str) -> None:
    """The Issue carries the place, and its Chinese text tells the user the same place."""
    assert (issue.file, issue.row, issue.column) == (file, row, column)
    text = str(issue)
    assert text.startswith("【错误】" if issue.level == "error" else "【提醒】"), text
    assert file in text, text
    if row is not None:
        assert f"第 {row} 行" in text, text
    if column is not None:
        assert f"“{column}”列" in text, text
    for frag in fragments:
        assert frag in text, f"{frag!r} not in {text!r}"
    assert "Traceback" not in text, text


# ------------------------------------------------------------------ the good folder


def test_good_folder_loads_with_the_numbers_as_written(tmp_path):
    b = load(make_data_dir(tmp_path))
    assert b.ok, [str(i) for i in b.issues]
    assert b.issues == []
    assert list(b.sections["section"]) == [
        "党建引领",
        "脱贫攻坚",
        "产业发展",
        "项目建设",
        "生态环境",
        "民生保障",
        "疫情防控",
    ]
    ind = b.indicators.set_index("id")
    assert ind.loc["DJ-1", "value"] == pytest.approx(537.65)
    assert ind.loc["DJ-1", "unit"] == "万元"
    assert ind.loc["MS-1", "value"] == 38051
    assert int(ind.loc["DJ-1", "year"]) == 2020
    assert ind.loc["TP-2", "parent"] == "TP-1"
    goals = b.goals.set_index("id")
    assert goals.loc["G02", "progress"] == 45
    assert goals.loc["G02", "due"] == "2021-12-31"
    assert list(b.problems["id"]) == ["P1", "P2"]
    assert {k: f.rows for k, f in b.files.items()} == {"sections": 7, "indicators": 5, "goals_2021": 3, "problems": 2}


# ------------------------------------------------------------------ one bad cell → one precise error


@dataclass
class Bad:
    kind: str  # file kind whose cell is changed
    index: int  # 0-based data row in the good rows; Excel row = index + 2
    changes: dict
    column: str  # the column the error is reported on
    hint: str  # a fragment of the Chinese explanation
    shown: str | None = None  # the value quoted back (default: changes[column])
    extra: dict = field(default_factory=dict)  # other files' rows replaced

    @property
    def row(self) -> int:
        return self.index + 2


BAD_CELLS = {
    "value abc": Bad("indicators", 2, {"value": "abc"}, "value", "应为数字"),
    "value 十四": Bad("indicators", 2, {"value": "十四"}, "value", "阿拉伯数字"),
    "value 537.65万": Bad("indicators", 0, {"value": "537.65万"}, "value", "单位（如“万元”）请写在 unit（单位）列"),
    "value nan": Bad("indicators", 3, {"value": "nan"}, "value", "具体的数字"),
    "value inf": Bad("indicators", 3, {"value": "inf"}, "value", "具体的数字"),
    "target abc": Bad("indicators", 2, {"target": "全部"}, "target", "应为数字"),
    "goal actual 十四": Bad("goals_2021", 1, {"actual": "六十"}, "actual", "阿拉伯数字"),
    "empty indicator id": Bad("indicators", 2, {"id": ""}, "id", "必填"),
    "empty value": Bad("indicators", 1, {"value": ""}, "value", "必填"),
    "empty source": Bad("indicators", 4, {"source": "　"}, "source", "必填", shown=""),
    "empty section heading": Bad("sections", 6, {"heading": ""}, "heading", "必填"),
    "empty goal status": Bad("goals_2021", 2, {"status": ""}, "status", "必填"),
    "empty goal progress": Bad("goals_2021", 1, {"progress": ""}, "progress", "必填"),
    "empty problem detail": Bad("problems", 1, {"detail": ""}, "detail", "必填"),
    "duplicate indicator id": Bad("indicators", 2, {"id": "DJ-1"}, "id", "编号重复（第 2 行已使用）"),
    "duplicate goal id": Bad("goals_2021", 2, {"id": "G02"}, "id", "编号重复（第 3 行已使用）"),
    "duplicate problem id": Bad("problems", 1, {"id": "P1"}, "id", "编号重复（第 2 行已使用）"),
    "duplicate section": Bad("sections", 3, {"section": "党建引领"}, "section", "编号重复（第 2 行已使用）"),
    "unknown section": Bad("indicators", 1, {"section": "招商引资"}, "section", "sections.csv"),
    "unknown goal section": Bad("goals_2021", 0, {"section": "乡村振兴"}, "section", "sections.csv"),
    "year 2020.5": Bad("indicators", 2, {"year": "2020.5"}, "year", "整数"),
    "year 1900": Bad("indicators", 1, {"year": "1900"}, "year", "1949 到 2100"),
    "year 二〇二〇": Bad("indicators", 1, {"year": "二〇二〇"}, "year", "阿拉伯数字"),
    "section order 0": Bad("sections", 2, {"order": "0"}, "order", "从 1 开始"),
    "progress 120": Bad("goals_2021", 1, {"progress": "120"}, "progress", "0 到 100"),
    "progress -5": Bad("goals_2021", 1, {"progress": "-5"}, "progress", "0 到 100"),
    "bad status": Bad("goals_2021", 1, {"status": "完成了"}, "status", "未开始 / 进行中 / 已完成 / 滞后"),
    "bad group": Bad("goals_2021", 0, {"group": "一条线"}, "group", "一条主线"),
    "bad due 2021-02-30": Bad("goals_2021", 1, {"due": "2021-02-30"}, "due", "YYYY-MM-DD"),
    "bad updated 2021/13/01": Bad("goals_2021", 1, {"updated": "2021/13/01"}, "updated", "真实的日期"),
    "bad due text": Bad("goals_2021", 2, {"due": "年底前"}, "due", "YYYY-MM-DD"),
    "已完成 with progress 50": Bad("goals_2021", 2, {"status": "已完成", "progress": "50"}, "progress", "已完成"),
    "dangling baseline id": Bad("goals_2021", 1, {"baseline_ids": "TP-1;TP-9"}, "baseline_ids", "找不到：TP-9"),
    "dangling problem goal id": Bad("problems", 1, {"goal_ids": "G01；G99"}, "goal_ids", "找不到：G99"),
    "dangling parent": Bad("indicators", 4, {"parent": "TP-9"}, "parent", "indicators.csv 的编号中没有这一项"),
}


def bad_rows(case: Bad) -> dict:
    rows = {**good_rows(), "sections": shipped_sections()}
    rows[case.kind][case.index].update(case.changes)
    rows.update(case.extra)
    return rows


@pytest.mark.parametrize("case", BAD_CELLS.values(), ids=BAD_CELLS.keys())
def test_bad_cell_is_reported_once_with_file_row_and_column(tmp_path, case):
    b = load(make_data_dir(tmp_path, bad_rows(case)))
    file, col = FILE_OF[case.kind], label(case.kind, case.column)
    assert not b.ok  # never half-loaded: any error makes the whole bundle unusable
    assert len(b.errors) == 1, [str(i) for i in b.errors]
    (issue,) = b.errors
    shown = case.changes[case.column] if case.shown is None else case.shown
    assert issue.value == shown
    assert_told(issue, file, case.row, col, case.hint, f"值“{shown}”")


@pytest.mark.parametrize(
    ("kind", "column"),
    [(k, c) for k, cols in REQUIRED.items() for c in cols],
    ids=[f"{k}-{c}" for k, cols in REQUIRED.items() for c in cols],
)
def test_missing_required_column_is_reported_once_on_the_header(tmp_path, kind, column):
    b = load(make_data_dir(tmp_path, {"sections": shipped_sections()}, drop={kind: [column]}))
    file, col = FILE_OF[kind], label(kind, column)
    assert not b.ok
    mine = [i for i in b.errors if i.file == file and i.column == col]
    # one message on the header, not one per data row
    assert len(mine) == 1, [str(i) for i in mine]
    assert_told(mine[0], file, 1, col, "缺少必填列", f"{column} 或 {ALIASES[kind][column]}")


def test_every_error_is_collected_not_just_the_first(tmp_path):
    rows = {**good_rows()}
    rows["indicators"][1]["value"] = "abc"
    rows["indicators"][3]["year"] = "2020.5"
    rows["goals_2021"][2]["due"] = "2021-02-30"
    rows["problems"][0]["goal_ids"] = "G77"
    b = load(make_data_dir(tmp_path, rows))
    assert not b.ok
    assert [(i.file, i.row, i.column) for i in b.errors] == [
        ("indicators.csv", 3, "value（数值）"),
        ("indicators.csv", 5, "year（年份）"),
        ("goals_2021.csv", 4, "due（完成时限）"),
        ("problems.csv", 2, "goal_ids（对应目标）"),
    ]


def _detail_named_twice(root: Path) -> Path:
    d = make_data_dir(root, skip=("problems",))
    (d / "problems.csv").write_text("id,problem,detail,说明\nP1,转型升级步伐偏慢,进度慢,进度慢\n", encoding="utf-8-sig")
    return d


def test_column_named_twice_in_english_and_chinese(tmp_path):
    b = load(_detail_named_twice(tmp_path))  # used to raise AttributeError
    assert not b.ok
    mine = [i for i in b.errors if i.file == "problems.csv"]
    assert len(mine) == 1, [str(i) for i in b.errors]
    assert_told(mine[0], "problems.csv", 1, "detail（说明）", "出现了两次")


def test_blank_line_inside_the_file_keeps_later_excel_rows_right(tmp_path):
    d = make_data_dir(tmp_path, skip=("indicators",))
    rows = good_indicators()
    rows[1]["value"] = "abc"  # Excel row 4 once a blank line sits at row 3
    rows[3]["year"] = "2020.5"  # Excel row 7 (rows 3 and 5 blank)
    lines = table_text("indicators", rows).splitlines()
    lines.insert(2, "")  # an empty line
    lines.insert(4, "," * (len(HEADERS["indicators"]) - 1))  # a row Excel saved with empty cells only
    (d / "indicators.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    b = load(d)
    assert not b.ok
    assert len(b.errors) == 2, [str(i) for i in b.errors]
    assert_told(b.errors[0], "indicators.csv", 4, "value（数值）", "abc")
    assert_told(b.errors[1], "indicators.csv", 7, "year（年份）", "2020.5")
    assert b.files["indicators"].rows == 5  # the blank line is not a data row


def test_blank_row_in_xlsx_keeps_later_excel_rows_right(tmp_path):
    d = make_data_dir(tmp_path, skip=("indicators",))
    header = HEADERS["indicators"]
    rows = [[r.get(c) for c in header] for r in good_indicators()]
    rows[3][header.index("value")] = "abc"
    rows.insert(1, [None] * len(header))  # Excel row 3 left blank
    write_xlsx(d / "indicators.xlsx", header, rows)
    b = load(d)
    assert len(b.errors) == 1, [str(i) for i in b.errors]
    assert_told(b.errors[0], "indicators.xlsx", 6, "value（数值）", "abc")


# ------------------------------------------------------------------ warnings are not errors


def test_percent_above_100_is_a_warning_and_the_data_still_loads(tmp_path):
    rows = good_rows()
    rows["indicators"][2]["value"] = "120"
    b = load(make_data_dir(tmp_path, rows))
    assert b.ok
    assert b.errors == []
    (w,) = b.warnings
    assert w.level == "warning"
    assert_told(w, "indicators.csv", 4, "value（数值）", "0 到 100", "值“120”")
    assert b.indicators.set_index("id").loc["ST-1", "value"] == 120


def test_unknown_extra_column_is_only_a_warning(tmp_path):
    d = make_data_dir(tmp_path, skip=("problems",))
    text = table_text("problems", good_problems()).splitlines()
    text = [line + (",联系人" if n == 0 else ",张三") for n, line in enumerate(text)]
    (d / "problems.csv").write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    b = load(d)
    assert b.ok
    (w,) = b.warnings
    assert_told(w, "problems.csv", 1, "联系人", "不认识的列名")


# ------------------------------------------------------------------ accepted encodings and spellings


def test_gbk_csv_as_excel_on_chinese_windows_writes_it(tmp_path):
    d = make_data_dir(tmp_path, skip=("sections", "indicators", "goals_2021", "problems"))
    sections = SHIPPED_SECTIONS.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\n", "\r\n")
    (d / "sections.csv").write_bytes(sections.encode("cp936"))
    for kind, rows in good_rows().items():
        raw = table_text(kind, rows, newline="\r\n").encode("cp936")
        assert b"\r\n" in raw and raw[:3] != b"\xef\xbb\xbf"
        (d / f"{kind}.csv").write_bytes(raw)
    b = load(d)
    assert b.ok, [str(i) for i in b.issues]
    assert {f.encoding for f in b.files.values()} == {"gb18030"}
    ind = b.indicators.set_index("id")
    assert ind.loc["DJ-1", "indicator"] == "村集体收入"
    assert ind.loc["DJ-1", "value"] == pytest.approx(537.65)
    assert ind.loc["DJ-1", "unit"] == "万元"
    assert b.sections.iloc[0]["heading"] == "聚焦基础强提升,党建引领更加凸显"
    assert b.goals.set_index("id").loc["G02", "status"] == "进行中"
    assert not any(v.endswith("\r") for v in b.problems["goal_ids"])


def test_utf8_with_bom_and_crlf(tmp_path):
    d = make_data_dir(tmp_path, skip=("indicators",))
    raw = b"\xef\xbb\xbf" + table_text("indicators", good_indicators(), newline="\r\n").encode()
    (d / "indicators.csv").write_bytes(raw)
    b = load(d)
    assert b.ok, [str(i) for i in b.issues]
    assert b.files["indicators"].encoding == "utf-8-sig"
    assert list(b.indicators.columns[:2]) == ["id", "year"]  # the BOM is not part of the first header
    assert b.indicators.set_index("id").loc["TP-2", "parent"] == "TP-1"  # last column, no trailing \r


def test_plain_utf8_lf(tmp_path):
    d = make_data_dir(tmp_path, skip=("indicators",))
    (d / "indicators.csv").write_bytes(table_text("indicators", good_indicators()).encode())
    b = load(d)
    assert b.ok and b.files["indicators"].encoding == "utf-8"


def test_short_gbk_file_that_is_also_valid_utf8_is_read_as_gbk(tmp_path):
    raw_cell = "一一".encode("gbk")
    assert raw_cell.decode("utf-8") == "һһ"  # the trap: valid UTF-8, wrong text
    d = make_data_dir(tmp_path, skip=("problems",))
    text = table_text("problems", [{"id": "P1", "problem": "一一", "detail": "一一"}], newline="\r\n")
    (d / "problems.csv").write_bytes(text.encode("gbk"))
    b = load(d)
    assert b.ok, [str(i) for i in b.issues]
    assert b.problems.iloc[0]["problem"] == "一一"
    assert b.problems.iloc[0]["detail"] == "一一"


@pytest.mark.parametrize(
    ("written", "value", "text"),
    [
        ("５３７．６５", 537.65, "537.65"),
        ("1,250", 1250, "1250"),
        ("１，２５０", 1250, "1250"),
        ("38,051.5", 38051.5, "38051.5"),
        ("0.8320", 0.832, "0.8320"),
        (" 537.65　", 537.65, "537.65"),
        ("-3", -3, "-3"),
    ],
)
def test_number_spellings_are_normalised(tmp_path, written, value, text):
    rows = good_rows()
    rows["indicators"][1]["value"] = written
    b = load(make_data_dir(tmp_path, rows))
    assert b.ok, [str(i) for i in b.issues]
    row = b.indicators.set_index("id").loc["MS-1"]
    assert row["value"] == pytest.approx(value)
    assert row["value_text"] == text


def test_trailing_percent_sign_is_dropped(tmp_path):
    rows = good_rows()
    rows["indicators"][2].update(value="100%", target="100％")
    rows["goals_2021"][1]["progress"] = "45%"
    b = load(make_data_dir(tmp_path, rows))
    assert b.ok, [str(i) for i in b.issues]
    st = b.indicators.set_index("id").loc["ST-1"]
    assert (st["value"], st["target"], st["unit"]) == (100, 100, "%")
    assert b.goals.set_index("id").loc["G02", "progress"] == 45


def test_fullwidth_year_and_dates(tmp_path):
    rows = good_rows()
    rows["indicators"][0]["year"] = "２０２０"
    rows["goals_2021"][1].update(due="2021/6/30", updated="2021年3月1日")
    b = load(make_data_dir(tmp_path, rows))
    assert b.ok, [str(i) for i in b.issues]
    assert int(b.indicators.iloc[0]["year"]) == 2020
    g = b.goals.set_index("id").loc["G02"]
    assert (g["due"], g["updated"]) == ("2021-06-30", "2021-03-01")


def test_chinese_headers_are_accepted(tmp_path):
    d = make_data_dir(tmp_path, skip=("sections", "indicators", "goals_2021", "problems"))
    rows = {**good_rows(), "sections": shipped_sections()}
    for kind, kind_rows in rows.items():
        text = table_text(kind, kind_rows, header_names=ALIASES[kind])
        assert text.startswith(ALIASES[kind][HEADERS[kind][0]])
        (d / f"{kind}.csv").write_text(text, encoding="utf-8-sig")
    b = load(d)
    assert b.ok, [str(i) for i in b.issues]
    ind = b.indicators.set_index("id")
    assert ind.loc["DJ-1", "value"] == pytest.approx(537.65)
    assert ind.loc["TP-2", "parent"] == "TP-1"
    assert b.goals.set_index("id").loc["G02", "baseline_ids"] == "TP-1;TP-2"
    assert len(b.sections) == 7


def test_header_spelled_value_with_chinese_label(tmp_path):
    d = make_data_dir(tmp_path, skip=("indicators",))
    names = {"value": "value（数值）", "unit": "单位", "year": "Year"}
    (d / "indicators.csv").write_text(
        table_text("indicators", good_indicators(), header_names=names), encoding="utf-8-sig"
    )
    b = load(d)
    assert b.ok, [str(i) for i in b.issues]
    assert b.indicators.set_index("id").loc["MS-1", "value"] == 38051


def test_fullwidth_spaces_around_headers_and_cells_are_ignored(tmp_path):
    d = make_data_dir(tmp_path, skip=("indicators",))
    rows = good_indicators()
    rows[0].update(id="\u3000DJ-1 ", section=" 党建引领\u3000", value="\u3000537.65\u3000", unit="万元\u3000")
    names = {h: f"\u3000{h} " for h in HEADERS["indicators"]}
    (d / "indicators.csv").write_text(table_text("indicators", rows, header_names=names), encoding="utf-8-sig")
    b = load(d)
    assert b.ok, [str(i) for i in b.issues]
    first = b.indicators.iloc[0]
    assert (first["id"], first["section"], first["unit"]) == ("DJ-1", "党建引领", "万元")
    assert first["value"] == pytest.approx(537.65)


def test_xlsx_workbooks_with_numbers_stored_as_numbers(tmp_path):
    d = make_data_dir(tmp_path, skip=("indicators", "goals_2021"))
    header = HEADERS["indicators"]
    rows = []
    for r in good_indicators():
        row = [r.get(c) or None for c in header]
        row[header.index("year")] = 2020  # typed as numbers, as Excel stores them
        row[header.index("value")] = float(r["value"]) if "." in r["value"] else int(r["value"])
        rows.append(row)
    rows[0][header.index("highlight")] = 1
    rows[2][header.index("target")] = 100.0
    write_xlsx(d / "indicators.xlsx", header, rows)
    gh = HEADERS["goals_2021"]
    grows = [[r.get(c) or None for c in gh] for r in good_goals()]
    grows[1][gh.index("due")] = datetime.datetime(2021, 12, 31)
    grows[1][gh.index("updated")] = datetime.date(2021, 3, 1)
    grows[1][gh.index("progress")] = 45
    grows[2][gh.index("progress")] = 100.0
    grows[2][gh.index("target")] = 600
    write_xlsx(d / "goals_2021.xlsx", gh, grows)

    b = load(d)
    assert b.ok, [str(i) for i in b.issues]
    assert b.files["indicators"].name == "indicators.xlsx"
    assert b.files["indicators"].rows == 5
    ind = b.indicators.set_index("id")
    assert list(ind["year"].astype(int)) == [2020] * 5
    assert ind.loc["DJ-1", "value"] == pytest.approx(537.65)
    assert ind.loc["DJ-1", "value_text"] == "537.65"
    assert ind.loc["MS-1", "value_text"] == "38051"  # not 38051.0
    assert ind.loc["ST-1", "target"] == 100
    g = b.goals.set_index("id")
    assert (g.loc["G02", "due"], g.loc["G02", "updated"]) == ("2021-12-31", "2021-03-01")
    assert g.loc["G02", "progress"] == 45
    assert g.loc["G03", "progress"] == 100


def test_xlsx_workbook_saved_under_a_csv_name_still_loads(tmp_path):
    d = make_data_dir(tmp_path, skip=("indicators",))
    header = HEADERS["indicators"]
    write_xlsx(d / "indicators.csv", header, [[r.get(c) or None for c in header] for r in good_indicators()])
    b = load(d)
    assert b.ok, [str(i) for i in b.issues]
    assert b.indicators.set_index("id").loc["DJ-1", "value"] == pytest.approx(537.65)


def test_csv_and_xlsx_side_by_side_uses_the_csv_and_warns(tmp_path):
    d = make_data_dir(tmp_path)
    write_xlsx(d / "problems.xlsx", HEADERS["problems"], [["P9", "别的问题", "说明", None]])
    b = load(d)
    assert b.ok
    assert list(b.problems["id"]) == ["P1", "P2"]
    (w,) = b.warnings
    assert_told(w, "problems.xlsx", None, None, "problems.csv")


def test_value_text_keeps_the_figure_as_written(tmp_path):
    rows = good_rows()
    rows["indicators"][2].update(value="0.8320", unit="万元")
    b = load(make_data_dir(tmp_path, rows))
    assert b.ok
    st = b.indicators.set_index("id").loc["ST-1"]
    assert st["value_text"] == "0.8320"
    assert st["value"] == pytest.approx(0.832)


# ------------------------------------------------------------------ files that cannot be read


@dataclass
class Unreadable:
    name: str  # file name inside the folder
    raw: bytes
    row: int | None
    hints: tuple[str, ...]  # at least one of these is in the message


def _csv(rows=None, newline="\n") -> str:
    return table_text("indicators", rows if rows is not None else good_indicators(), newline=newline)


def _open_quote_at_row_4() -> bytes:
    lines = _csv().split("\n")
    lines[3] = lines[3].replace("生态环境,", '生态环境,"', 1)
    return "\n".join(lines).encode()


def _open_quote_after_a_multiline_cell() -> bytes:
    rows = good_indicators()
    rows[0]["note"] = "第一行\n第二行"  # a cell with a line break: still Excel row 2
    lines = _csv(rows).split("\n")
    lines[5] = lines[5].replace("脱贫攻坚,", '脱贫攻坚,"', 1)  # Excel row 5
    return "\r\n".join(lines).encode("utf-8-sig")


def _too_many_fields_at_row_5() -> bytes:
    lines = _csv().split("\n")
    lines[4] += ",多余,单元格"
    return "\n".join(lines).encode()


def _random(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


UNREADABLE = {
    "empty file": Unreadable("indicators.csv", b"", None, ("文件是空的",)),
    "only blank lines": Unreadable("indicators.csv", b"\r\n\r\n  \r\n", None, ("文件是空的",)),
    "header only": Unreadable("indicators.csv", _csv([]).encode("utf-8-sig"), None, ("只有表头",)),
    "header only gbk": Unreadable("goals_2021.csv", table_text("goals_2021", [], newline="\r\n").encode("gbk"), None,
                                  ("只有表头",)),
    "random 16 bytes": Unreadable("indicators.csv", _random(2021, 16), None, ("编码", "不是文本格式")),
    "random 300 bytes": Unreadable("indicators.csv", _random(7, 300), None, ("编码", "不是文本格式")),
    "random 5000 bytes": Unreadable("indicators.csv", _random(42, 5000), None, ("编码", "不是文本格式")),
    "random bytes as xlsx": Unreadable("indicators.xlsx", _random(3, 2000), None, ("不是有效的 .xlsx",)),
    "csv text named .xlsx": Unreadable("indicators.xlsx", _csv().encode("utf-8-sig"), None, ("不是有效的 .xlsx",)),
    "damaged xlsx": Unreadable("indicators.xlsx", b"PK\x03\x04" + _random(5, 3000), None, ("无法读取 Excel 工作簿",)),
    "unterminated quote": Unreadable("indicators.csv", _open_quote_at_row_4(), 4, ("引号没有成对",)),
    "unterminated quote after multi-line cell": Unreadable(
        "indicators.csv", _open_quote_after_a_multiline_cell(), 5, ("引号没有成对",)
    ),
    "too many fields": Unreadable("indicators.csv", _too_many_fields_at_row_5(), 5, ("表头有 15 列，这一行有 17 列",)),
}  # fmt: skip


def unreadable_dir(root: Path, case: Unreadable) -> Path:
    kind = case.name.rsplit(".", 1)[0]
    d = make_data_dir(root, skip=(kind,))
    (d / case.name).write_bytes(case.raw)
    return d


@pytest.mark.parametrize("case", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_unreadable_file_gives_a_clear_chinese_error(tmp_path, case):
    b = load(unreadable_dir(tmp_path, case))  # must not raise
    assert not b.ok
    mine = [i for i in b.errors if i.file == case.name]
    assert len(mine) == 1, [str(i) for i in b.errors]
    assert_told(mine[0], case.name, case.row, None)
    assert any(h in str(mine[0]) for h in case.hints), str(mine[0])


def test_missing_file_is_named(tmp_path):
    d = make_data_dir(tmp_path, skip=("goals_2021",))
    b = load(d)
    assert not b.ok
    mine = [i for i in b.errors if i.file == "goals_2021.csv"]
    assert len(mine) == 1
    assert_told(mine[0], "goals_2021.csv", None, None, "找不到")


# ------------------------------------------------------------------ size


def test_200k_row_indicator_file_loads(tmp_path):
    d = make_data_dir(tmp_path, skip=("indicators",))
    sections = [r["section"] for r in shipped_sections()]
    n = 200_000
    header = ",".join(HEADERS["indicators"])
    body = "\n".join(
        f"X{i},{2019 + i % 3},{sections[i % 7]},专题{i % 13},指标{i % 101},{i % 1000}.5,万元,,,,,原文第{i}句,,,"
        for i in range(n - 5)
    )
    small = table_text("indicators", good_indicators()).split("\n", 1)[1]  # keeps the ids goals refer to
    (d / "indicators.csv").write_text(f"{header}\n{small}{body}\n", encoding="utf-8-sig")
    start = time.perf_counter()
    b = load(d)
    elapsed = time.perf_counter() - start
    assert b.ok, [str(i) for i in b.issues[:5]]
    assert len(b.indicators) == n
    assert b.files["indicators"].rows == n
    assert b.indicators["value"].iloc[5:].sum() == pytest.approx(sum(i % 1000 + 0.5 for i in range(n - 5)))
    assert elapsed < 60, f"loading {n} rows took {elapsed:.1f} s"


# ------------------------------------------------------------------ the command line


def test_cli_good_folder_passes_with_rows_per_file(tmp_path):
    d = make_data_dir(tmp_path)
    r = run_cli("validate", str(d))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "校验通过" in r.stdout
    for part in ("sections.csv 7 行", "indicators.csv 5 行", "goals_2021.csv 3 行", "problems.csv 2 行"):
        assert part in r.stdout, r.stdout
    assert r.stderr == ""


def test_cli_bad_folder_lists_every_error_and_fails(tmp_path):
    rows = good_rows()
    rows["indicators"][1]["value"] = "537.65万"
    rows["indicators"][3]["year"] = "2020.5"
    rows["goals_2021"][1]["due"] = "2021-02-30"
    rows["goals_2021"][2]["progress"] = "50"
    rows["problems"][1]["goal_ids"] = "G99"
    d = make_data_dir(tmp_path, rows)
    expected = load(d).errors
    assert len(expected) == 5
    r = run_cli("validate", str(d))
    assert r.returncode == 1
    assert "校验未通过" in r.stdout and "5 处错误" in r.stdout
    for issue in expected:
        assert str(issue) in r.stdout
    for where in ("indicators.csv 第 3 行", "indicators.csv 第 5 行", "goals_2021.csv 第 3 行",
                  "goals_2021.csv 第 4 行", "problems.csv 第 3 行"):  # fmt: skip
        assert where in r.stdout, r.stdout
    assert "校验通过（OK）" not in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_cli_single_file(tmp_path):
    d = make_data_dir(tmp_path)
    r = run_cli("validate", str(d / "goals_2021.csv"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "校验通过" in r.stdout and "goals_2021.csv 3 行" in r.stdout

    rows = good_rows()
    rows["goals_2021"][1]["status"] = "完成了"
    bad = make_data_dir(tmp_path / "bad", rows)
    r = run_cli("validate", str(bad / "goals_2021.csv"))
    assert r.returncode == 1
    assert "goals_2021.csv 第 3 行 “status（状态）”列" in r.stdout, r.stdout


def test_cli_missing_path(tmp_path):
    r = run_cli("validate", str(tmp_path / "nowhere"))
    assert r.returncode == 1
    assert "找不到" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def _bad_folders(root: Path) -> dict[str, tuple[Path, list[str]]]:
    """Every bad folder of this module -> (folder, locations the output must name)."""
    out = {}
    for name, case in BAD_CELLS.items():
        d = make_data_dir(root / f"cell{len(out)}", bad_rows(case))
        out[name] = (d, [f"{FILE_OF[case.kind]} 第 {case.row} 行 “{label(case.kind, case.column)}”列"])
    for kind, cols in REQUIRED.items():
        for col in cols:
            d = make_data_dir(root / f"col{len(out)}", {"sections": shipped_sections()}, drop={kind: [col]})
            out[f"missing {kind}.{col}"] = (d, [f"{FILE_OF[kind]} 第 1 行 “{label(kind, col)}”列"])
    out["detail and 说明"] = (_detail_named_twice(root / "twice"), ["problems.csv 第 1 行 “detail（说明）”列"])
    for name, case in UNREADABLE.items():
        d = unreadable_dir(root / f"file{len(out)}", case)
        row = f" 第 {case.row} 行" if case.row else "："
        out[name] = (d, [case.name + row])
    return out


def test_cli_never_prints_a_traceback_for_bad_files(tmp_path):
    folders = _bad_folders(tmp_path)
    results = run_cli_many([["validate", str(d)] for d, _ in folders.values()])
    failures = []
    for (name, (_, wanted)), (code, out, err) in zip(folders.items(), results, strict=True):
        if code != 1 or "Traceback" in out + err or err or "校验未通过" not in out or not all(w in out for w in wanted):
            failures.append(f"{name}: exit {code}\n{(out + err)[-800:]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("name", ["random 5000 bytes", "unterminated quote", "damaged xlsx"])
def test_cli_unreadable_file_in_its_own_process(tmp_path, name):
    case = UNREADABLE[name]
    r = run_cli("validate", str(unreadable_dir(tmp_path, case)))
    assert r.returncode == 1
    assert r.stderr == ""
    assert "Traceback" not in r.stdout
    assert case.name in r.stdout and any(h in r.stdout for h in case.hints), r.stdout
