"""Officials edit the CSVs in Excel while the dashboard runs: the next rerun shows the edit; a broken
edit is reported (file, Excel row) while the last good figures stay on screen; fixing it clears the
banner; a first start on bad data explains itself instead of crashing."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from conftest import SHIPPED, assert_no_exception, new_app, open_page, texts

INDICATORS = "indicators.csv"
LABEL = "村集体收入（14个村合计）"  # DJ-004, a headline card of 党建引领 on the overview
BOM = b"\xef\xbb\xbf"


# ---------------------------------------------------------------- helpers


def read_rows(path: Path, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig", newline: str = "\n") -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def set_cell(path: Path, rid: str, column: str, value: str, encoding: str = "utf-8-sig", newline: str = "\n") -> int:
    """Set one cell as Excel would save it; returns the Excel row number of that row."""
    rows = read_rows(path)
    col = rows[0].index(column)
    for n, r in enumerate(rows):
        if r and r[0] == rid:
            r[col] = value
            write_rows(path, rows, encoding, newline)
            return n + 1
    raise AssertionError(f"{rid} not in {path.name}")


def metric(at, label: str) -> str | None:
    return next((m.value for m in at.metric if m.label == label), None)


def data_banner(at):
    return [e.value for e in at.error if "数据文件有" in e.value]


def issues_shown(at):
    """The table of errors under the banner (file, row, column, value, message)."""
    for df in at.dataframe:
        if list(df.value.columns)[:3] == ["文件", "行", "列"]:
            return df.value
    return None


def section_figures(at):
    return next(df.value for df in at.dataframe if "数值" in df.value.columns)


N_INDICATORS = len(read_rows(SHIPPED / INDICATORS)) - 1


@pytest.fixture
def ind(data_dir) -> Path:
    return data_dir / INDICATORS


# ---------------------------------------------------------------- tests


def test_an_edit_shows_on_the_next_rerun(app, ind):
    assert metric(app, LABEL) == "537.65万元"
    set_cell(ind, "DJ-004", "value", "600.5")
    app.run()
    assert_no_exception(app)
    assert metric(app, LABEL) == "600.5万元"
    assert not data_banner(app)


def test_broken_edit_is_reported_and_the_last_good_figures_stay(app, ind):
    assert metric(app, LABEL) == "537.65万元"
    row = set_cell(ind, "DJ-010", "value", "abc")
    assert row == 11
    app.run()
    assert_no_exception(app)
    banner = data_banner(app)
    assert len(banner) == 1
    assert INDICATORS in banner[0] and "新数据未载入" in banner[0] and "上一版有效数据" in banner[0]
    issues = issues_shown(app)
    assert issues is not None, "the errors are not listed"
    assert issues.to_dict("records") == [
        {
            "文件": INDICATORS,
            "行": "11",
            "列": "value（数值）",
            "当前值": "abc",
            "问题与要求": issues.iloc[0]["问题与要求"],
        }
    ]
    assert "数字" in issues.iloc[0]["问题与要求"]
    # the figures are still those of the last good data, on the overview …
    assert metric(app, LABEL) == "537.65万元"
    assert metric(app, "收录指标") == f"{N_INDICATORS} 项"
    # … and on a section page, which names the problem too
    open_page(app, "党建引领")
    assert_no_exception(app)
    assert data_banner(app)
    figures = section_figures(app).set_index("编号")
    assert figures.loc["DJ-004", "数值"] == "537.65万元"
    assert figures.loc["DJ-010", "数值"] == "4个"


def test_last_good_is_the_newest_good_edit(app, ind):
    set_cell(ind, "DJ-004", "value", "600.5")
    app.run()
    assert metric(app, LABEL) == "600.5万元"
    set_cell(ind, "DJ-004", "value", "600.5万")  # the unit typed into the number column
    app.run()
    assert_no_exception(app)
    assert data_banner(app)
    assert metric(app, LABEL) == "600.5万元"
    issues = issues_shown(app)
    assert list(issues["行"]) == ["5"] and list(issues["当前值"]) == ["600.5万"]
    assert "单位" in issues.iloc[0]["问题与要求"]


def test_fixing_the_file_clears_the_banner(app, ind):
    good = ind.read_bytes()
    set_cell(ind, "DJ-010", "value", "abc")
    app.run()
    assert data_banner(app)
    rows = read_rows(ind)
    rows[11 - 1][rows[0].index("value")] = "5"  # corrected (and changed) in Excel
    write_rows(ind, rows)
    app.run()
    assert_no_exception(app)
    assert not data_banner(app)
    assert issues_shown(app) is None
    assert metric(app, LABEL) == "537.65万元"
    assert ind.read_bytes() != good
    open_page(app, "党建引领")
    assert section_figures(app).set_index("编号").loc["DJ-010", "数值"] == "5个"


def test_first_start_with_invalid_data_explains_instead_of_crashing(data_dir, ind):
    set_cell(ind, "DJ-010", "value", "abc")
    set_cell(ind, "DJ-020", "year", "二〇二〇")
    at = new_app().run()
    assert_no_exception(at)
    banner = data_banner(at)
    assert len(banner) == 1 and "看板无法显示数据" in banner[0] and INDICATORS in banner[0]
    issues = issues_shown(at)
    assert set(issues["行"]) == {"11", "21"}
    assert set(issues["列"]) == {"value（数值）", "year（年份）"}
    assert not at.metric  # no figures at all rather than half-loaded ones
    assert "537.65" not in texts(at)
    assert "数据管理页面可以上传改正后的文件" in texts(at)
    # the data page still opens and says which file fails
    open_page(at, "data")
    assert_no_exception(at)
    status = next(df.value for df in at.dataframe if "校验" in df.value.columns)
    assert status.set_index("文件").loc[INDICATORS, "校验"] == "有 2 处错误"
    assert status.set_index("文件").loc["sections.csv", "校验"] == "通过"


def test_first_start_with_invalid_data_then_fixed(data_dir, ind):
    good = ind.read_bytes()
    set_cell(ind, "DJ-010", "value", "abc")
    at = new_app().run()
    assert not at.metric
    ind.write_bytes(good)
    at.run()
    assert_no_exception(at)
    assert not data_banner(at)
    assert metric(at, LABEL) == "537.65万元"


def test_gbk_edit_from_excel_is_picked_up(app, ind):
    assert metric(app, LABEL) == "537.65万元"
    set_cell(ind, "DJ-004", "value", "612.3", encoding="gbk", newline="\r\n")
    raw = ind.read_bytes()
    assert not raw.startswith(BOM) and b"\r\n" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    app.run()
    assert_no_exception(app)
    assert not data_banner(app)
    assert metric(app, LABEL) == "612.3万元"
    assert metric(app, "收录指标") == f"{N_INDICATORS} 项"
    open_page(app, "党建引领")
    figures = section_figures(app).set_index("编号")
    assert figures.loc["DJ-004", "指标"] == LABEL  # Chinese text decoded, not mojibake


def test_reload_button_rereads_the_files(app, ind):
    assert metric(app, LABEL) == "537.65万元"
    st = ind.stat()
    set_cell(ind, "DJ-004", "value", "537.66")  # same size …
    os.utime(ind, ns=(st.st_atime_ns, st.st_mtime_ns))  # … and same time stamp (e.g. a copy tool)
    assert ind.stat().st_size == st.st_size and ind.stat().st_mtime_ns == st.st_mtime_ns
    app.button(key="reload").click().run()
    assert_no_exception(app)
    assert metric(app, LABEL) == "537.66万元"
    assert app.button(key="reload").label == "重新加载数据"
