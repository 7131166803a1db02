"""CSV and XLSX out, safe to open in Excel: formula-looking text is neutralised, numbers stay numbers."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import threading
from collections import OrderedDict

import numpy as np
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


# Files already made, by content: pages offer their downloads on every rerun, and an .xlsx of a few
# thousand rows takes openpyxl seconds. Keyed on a hash of every cell (with column names, dtypes
# and, for object columns, each value's type), so a change anywhere makes a new file.
_MADE: OrderedDict[tuple, bytes] = OrderedDict()
_MADE_LIMIT = 64 * 1024 * 1024  # bytes kept at most
_made_lock = threading.Lock()


def _frame_key(df: pd.DataFrame) -> bytes | None:
    try:
        h = hashlib.blake2b(digest_size=20)
        h.update(repr((list(map(repr, df.columns)), [str(t) for t in df.dtypes], df.shape)).encode())
        for i in range(df.shape[1]):
            col = df.iloc[:, i]
            if col.dtype == object:  # hash_pandas_object hashes 1 and "1" alike
                h.update(pd.util.hash_array(np.array([type(v).__name__ for v in col], dtype=object)).tobytes())
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
        return h.digest()
    except (TypeError, ValueError):  # unhashable cells (lists, dicts): make the file every time
        return None


def _made(key: tuple | None, make) -> bytes:
    if key is None or None in key:
        return make()
    with _made_lock:
        data = _MADE.get(key)
        if data is not None:
            _MADE.move_to_end(key)
            return data
    data = make()
    with _made_lock:
        _MADE[key] = data
        while len(_MADE) > 1 and sum(map(len, _MADE.values())) > _MADE_LIMIT:
            _MADE.popitem(last=False)
    return data


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM so Excel on Chinese Windows shows the Chinese correctly."""
    return _made(("csv", _frame_key(df)), lambda: _to_csv_bytes(df))


def _to_csv_bytes(df: pd.DataFrame) -> bytes:
    return neutralise(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One workbook, a sheet per table (sheet names cut to Excel's 31 characters)."""
    key = ("xlsx", *((str(name), _frame_key(df)) for name, df in sheets.items()))
    return _made(None if any(k is None for _, k in key[1:]) else key, lambda: _to_xlsx_bytes(sheets))


def _to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
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
    XLSX gets real numbers (Excel cells of number type)."""
    from townboard import schema

    df = bundle.table(kind)
    memo = _bundle_memo(bundle)
    hit = memo.get(("table", kind, for_csv))
    if hit is not None and hit[0] is df:  # made from this very frame before (the app's bundle is read-only)
        return hit[1].copy(deep=False)  # copy-on-write: changing the copy leaves the memo alone
    out = {}
    for col in schema.COLUMNS[kind]:
        s = df[col.name] if col.name in df else pd.Series("", index=df.index)
        if col.kind == "number":
            s = df[f"{col.name}_text"] if for_csv and f"{col.name}_text" in df else s.astype(float)
        elif col.kind == "int":
            s = s.astype("Int64")
        out[col.name] = s.array  # one frame built at once: a column set at a time costs a copy each
    table = pd.DataFrame(out, index=df.index).reset_index(drop=True)
    memo[("table", kind, for_csv)] = (df, table)
    return table.copy(deep=False)


def _bundle_memo(bundle) -> dict:
    """Exports made from a bundle, kept on the bundle (a new data version is a new bundle)."""
    memo = getattr(bundle, "_export_memo", None)
    if memo is None:
        memo = {}
        with contextlib.suppress(AttributeError):  # an object that takes no new attributes: no memo
            bundle._export_memo = memo
    return memo


def workbook(bundle) -> bytes:
    """Every data file as one .xlsx workbook, a sheet per file."""
    from townboard import schema

    sources = tuple(bundle.table(kind) for kind in schema.FILE_KINDS)
    memo = _bundle_memo(bundle)
    hit = memo.get("workbook")
    if hit is not None and all(a is b for a, b in zip(hit[0], sources)):
        return hit[1]
    data = to_xlsx_bytes({kind: data_table(bundle, kind, for_csv=False) for kind in schema.FILE_KINDS})
    memo["workbook"] = (sources, data)
    return data
