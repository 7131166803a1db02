"""Downloads that are safe to open in Excel: BOM for Chinese, formula-looking text neutralised,
numbers left as numbers; the all-data workbook has one sheet per data file."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from townboard import export, schema
from townboard.data import load

BOM = b"\xef\xbb\xbf"

# Text Excel would run (or has run, in real attacks) as a formula when the cell starts with it.
DANGEROUS = [
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid","点我")',
    "\t=1+1",
    "\r=1+1",
]


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx_sheet(data: bytes, name: str | None = None):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return wb[name] if name else wb.worksheets[0]


def test_csv_starts_with_utf8_bom_and_keeps_chinese():
    data = export.to_csv_bytes(pd.DataFrame({"指标": ["村集体收入"], "数值": ["537.65"]}))
    assert data.startswith(BOM)
    assert not data.startswith(BOM + BOM)
    assert _csv_cells(data) == [["指标", "数值"], ["村集体收入", "537.65"]]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_text_is_neutralised_in_csv(text):
    data = export.to_csv_bytes(pd.DataFrame({"note": [text], "other": ["普通文字"]}))
    rows = _csv_cells(data)
    cell = rows[1][0]
    assert cell.startswith("'"), cell
    assert cell == "'" + text  # the rest of the text is kept as the user typed it
    assert rows[1][1] == "普通文字"


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_text_is_neutralised_in_xlsx(text):
    data = export.to_xlsx_bytes({"表": pd.DataFrame({"note": [text]})})
    cell = _xlsx_sheet(data, "表")["A2"]
    assert cell.data_type != "f"
    assert isinstance(cell.value, str)
    assert cell.value.startswith("'"), cell.value
    assert cell.value == "'" + text


def test_formula_in_a_header_is_neutralised_too():
    df = pd.DataFrame({"=1+1": ["x"]})
    assert _csv_cells(export.to_csv_bytes(df))[0] == ["'=1+1"]
    cell = _xlsx_sheet(export.to_xlsx_bytes({"s": df}))["A1"]
    assert cell.data_type != "f" and cell.value == "'=1+1"


@pytest.mark.parametrize("number", ["-5", "+3.5", "-0.8320", "1250", "-12%"])
def test_numbers_written_as_text_stay_numbers_in_csv(number):
    rows = _csv_cells(export.to_csv_bytes(pd.DataFrame({"value": [number]})))
    assert rows[1][0] == number


def test_numeric_cells_stay_numeric_in_xlsx():
    df = pd.DataFrame({"value": [-5, 537.65], "text": ["-5", "=1+1"]})
    ws = _xlsx_sheet(export.to_xlsx_bytes({"s": df}))
    assert ws["A2"].value == -5 and ws["A2"].data_type == "n"
    assert ws["A3"].value == pytest.approx(537.65) and ws["A3"].data_type == "n"
    assert ws["B2"].value == "-5"  # a number typed as text is not given a quote
    assert ws["B3"].value == "'=1+1" and ws["B3"].data_type == "s"


def test_nan_and_plain_text_are_left_alone():
    df = pd.DataFrame({"a": ["普通", None, "a=b", "邮箱@镇政府"]})
    rows = _csv_cells(export.to_csv_bytes(df))
    assert [r[0] for r in rows[1:]] == ["普通", "", "a=b", "邮箱@镇政府"]


def test_workbook_has_a_sheet_per_data_file_with_its_rows(data_dir):
    bundle = load(data_dir)
    assert bundle.ok
    wb = openpyxl.load_workbook(io.BytesIO(export.workbook(bundle)))
    assert wb.sheetnames == list(schema.FILE_KINDS)
    for kind in schema.FILE_KINDS:
        ws = wb[kind]
        assert ws.max_row == len(bundle.table(kind)) + 1, kind  # header + one row per record
        header = [c.value for c in ws[1]]
        assert header == [c.name for c in schema.COLUMNS[kind]], kind
    # the contract's numbers are real numbers in the workbook
    ind = wb[schema.INDICATORS]
    header = [c.value for c in ind[1]]
    row = next(r for r in ind.iter_rows(min_row=2) if r[0].value == "DJ-004")
    value = row[header.index("value")]
    assert value.data_type == "n" and value.value == pytest.approx(537.65)
    assert row[header.index("year")].value == 2020


def test_workbook_neutralises_formula_text_from_the_data(data_dir):
    bundle = load(data_dir)
    bundle.indicators.loc[bundle.indicators["id"] == "DJ-004", "note"] = "=cmd|' /C calc'!A0"
    ws = openpyxl.load_workbook(io.BytesIO(export.workbook(bundle)))[schema.INDICATORS]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "DJ-004")
    cell = row[header.index("note")]
    assert cell.data_type != "f" and cell.value == "'=cmd|' /C calc'!A0"


def test_data_file_csv_download_keeps_numbers_as_written(data_dir):
    bundle = load(data_dir)
    rows = _csv_cells(export.to_csv_bytes(export.data_table(bundle, schema.INDICATORS)))
    header, body = rows[0], rows[1:]
    assert header == [c.name for c in schema.COLUMNS[schema.INDICATORS]]
    assert len(body) == len(bundle.indicators)
    dj4 = next(r for r in body if r[0] == "DJ-004")
    assert dj4[header.index("value")] == "537.65"
    assert dj4[header.index("year")] == "2020"
