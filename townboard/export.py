"""CSV and XLSX out, safe to open in Excel: formula-looking text is neutralised, numbers stay numbers."""

from __future__ import annotations

import io
import re

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def neutralise_cell(value):
    """Prefix a quote to text Excel would run as a formula (=, +, -, @, tab, CR); keep numbers."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _NUMBER.match(value.strip()):  # '-5' and '+3.5' are numbers, not formulas
        return value
    return "'" + value


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM so Excel on Chinese Windows shows the Chinese correctly."""
    return neutralise(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One workbook, a sheet per table (sheet names cut to Excel's 31 characters)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in sheets.items():
            safe = re.sub(r"[\[\]:*?/\\]", "_", str(name))[:31] or "Sheet"
            neutralise(df).to_excel(writer, sheet_name=safe, index=False)
            ws = writer.sheets[safe]
            for col_cells in ws.columns:
                width = max(len(str(c.value or "")) for c in col_cells[:200])
                ws.column_dimensions[col_cells[0].column_letter].width = min(60, max(8, width * 1.6))
    return buf.getvalue()


def data_table(bundle, kind: str, for_csv: bool = True) -> pd.DataFrame:
    """A data file's contract columns for download. CSV keeps numbers as written ("0.8320");
    XLSX gets real numbers (Excel cells of number type). Pages cache the files made from it per
    data version (ui.cached_file)."""
    from townboard import schema

    df = bundle.table(kind)
    out = {}
    for col in schema.COLUMNS[kind]:
        s = df[col.name] if col.name in df else pd.Series("", index=df.index)
        if col.kind == "number":
            s = df[f"{col.name}_text"] if for_csv and f"{col.name}_text" in df else s.astype(float)
        elif col.kind == "int":
            s = s.astype("Int64")
        out[col.name] = s.array  # one frame built at once: a column set at a time costs a copy each
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def workbook(bundle) -> bytes:
    """Every data file as one .xlsx workbook, a sheet per file."""
    from townboard import schema

    return to_xlsx_bytes({kind: data_table(bundle, kind, for_csv=False) for kind in schema.FILE_KINDS})
