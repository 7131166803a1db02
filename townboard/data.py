"""Find the data files, decode them (UTF-8, UTF-8 with BOM, GBK/GB18030, .xlsx), normalise and load.

`load(data_dir)` returns a `Bundle`: the four tables as DataFrames plus every `Issue` found. It never
raises for bad input; a bundle with errors must not be shown (callers keep their last good bundle).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from townboard import schema
from townboard.issues import Issue

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_DIR / "data"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９．，－＋％　", "0123456789.,-+% "
)  # full-width digits and signs typed by a Chinese IME
_FULLWIDTH_CHARS = "[０１２３４５６７８９．，－＋％　]"
_XLSX_MAGIC = b"PK\x03\x04"
MAX_BYTES = 200 * 1024 * 1024


def data_dir_from_env() -> Path:
    """The data folder: TOWNBOARD_DATA_DIR when set, else data/ beside dashboard.py."""
    env = os.environ.get("TOWNBOARD_DATA_DIR", "").strip()
    return Path(env).expanduser().resolve() if env else DEFAULT_DATA_DIR


@dataclass
class FileInfo:
    kind: str
    path: Path | None
    rows: int = 0
    mtime: float | None = None
    encoding: str = ""

    @property
    def name(self) -> str:
        return self.path.name if self.path else f"{self.kind}.csv"

    @property
    def modified(self) -> str:
        if self.mtime is None:
            return "—"
        return datetime.fromtimestamp(self.mtime).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Bundle:
    sections: pd.DataFrame
    indicators: pd.DataFrame
    goals: pd.DataFrame
    problems: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    files: dict[str, FileInfo] = field(default_factory=dict)
    version: str = ""
    loaded_at: str = ""

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def table(self, kind: str) -> pd.DataFrame:
        return {
            schema.SECTIONS: self.sections,
            schema.INDICATORS: self.indicators,
            schema.GOALS: self.goals,
            schema.PROBLEMS: self.problems,
        }[kind]


# ---------------------------------------------------------------- decoding


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (BOM or not) first, then GB18030 (a superset of GBK).

    UTF-8 is only trusted when the text is ASCII or holds CJK characters: a short GBK text can
    be valid UTF-8 by chance and decode to Cyrillic or Latin mojibake.
    """
    try:
        text = raw.decode("utf-8-sig")
        if text.isascii() or _CJK.search(text):
            return text, "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    return raw.decode("gb18030"), "gb18030"


def file_signature(path: Path) -> tuple[int, int]:
    s = path.stat()
    return s.st_mtime_ns, s.st_size


def find_file(data_dir: Path, kind: str) -> tuple[Path | None, list[Issue]]:
    """The file for `kind` in data_dir: kind.csv, else kind.xlsx. Both present: the CSV, with a warning."""
    csv_path, xlsx_path = data_dir / f"{kind}.csv", data_dir / f"{kind}.xlsx"
    if csv_path.is_file():
        issues = []
        if xlsx_path.is_file():
            issues.append(
                Issue(
                    xlsx_path.name,
                    None,
                    None,
                    None,
                    f"同一文件夹中同时有 {csv_path.name} 和 {xlsx_path.name}，"
                    f"看板使用 {csv_path.name}，{xlsx_path.name} 被忽略",
                    "warning",
                )
            )
        return csv_path, issues
    if xlsx_path.is_file():
        return xlsx_path, []
    return None, [Issue(f"{kind}.csv", None, None, None, "找不到该数据文件（也没有同名 .xlsx）")]


def read_raw_table(path: Path, raw: bytes | None = None) -> tuple[pd.DataFrame | None, str, list[Issue]]:
    """Read one CSV or XLSX into a DataFrame of strings (no type conversion yet).

    Returns (frame or None, encoding, issues). None means the file could not be read at all.
    """
    name = path.name
    try:
        if raw is None:
            if path.stat().st_size > MAX_BYTES:
                return None, "", [Issue(name, None, None, None, "文件过大（超过 200 MB），请检查是否选错了文件")]
            raw = path.read_bytes()
    except OSError as exc:
        return None, "", [Issue(name, None, None, None, f"无法打开文件：{exc.strerror or exc}")]
    if not raw or raw.isspace():  # same test as `not raw.strip()` without copying the whole file
        return None, "", [Issue(name, None, None, None, "文件是空的：至少需要一行表头和一行数据")]
    if raw.startswith(_XLSX_MAGIC):
        return _read_xlsx(name, raw)
    if path.suffix.lower() in (".xlsx", ".xls", ".xlsm"):
        return (
            None,
            "",
            [Issue(name, None, None, None, "不是有效的 .xlsx 工作簿，请在 Excel 中“另存为”Excel 工作簿或 CSV")],
        )
    if b"\x00" in raw[:4096]:
        return (
            None,
            "",
            [Issue(name, None, None, None, "不是文本格式的 CSV 文件（含有二进制内容），请另存为“CSV（逗号分隔）”")],
        )
    try:
        text, encoding = decode_bytes(raw)
    except UnicodeDecodeError:
        return None, "", [Issue(name, None, None, None, "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV")]
    if _looks_binary(text):
        return (
            None,
            "",
            [
                Issue(
                    name, None, None, None, "不是文本格式的 CSV 文件（含有乱码或二进制内容），请另存为“CSV（逗号分隔）”"
                )
            ],
        )
    problem = _unterminated_quote(text)
    if problem:
        return (
            None,
            encoding,
            [Issue(name, problem, None, None, '引号没有成对：这一行开始的引号一直没有结束，请检查该行的英文双引号 "')],
        )
    df = _read_csv_fast(raw, text, encoding)
    if df is not None:
        return df, encoding, []
    try:
        df = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=False,
            skip_blank_lines=False,
        ).fillna("")
    except pd.errors.EmptyDataError:
        return None, encoding, [Issue(name, None, None, None, "文件是空的：至少需要一行表头和一行数据")]
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        row = _row_from_parser_error(str(exc))
        counts = re.search(r"Expected (\d+) fields in line \d+, saw (\d+)", str(exc))
        detail = f"表头有 {counts[1]} 列，这一行有 {counts[2]} 列" if counts else _short(exc)
        return (
            None,
            encoding,
            [Issue(name, row, None, None, f"这一行的列数和表头不一致，请检查是否多了逗号或缺了引号（{detail}）")],
        )
    return df, encoding, []


def _read_xlsx(name: str, raw: bytes) -> tuple[pd.DataFrame | None, str, list[Issue]]:
    try:
        df = pd.read_excel(io.BytesIO(raw), sheet_name=0, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds for damaged workbooks
        return (
            None,
            "xlsx",
            [Issue(name, None, None, None, f"无法读取 Excel 工作簿（{_short(exc)}），请在 Excel 中重新保存")],
        )
    df = df.fillna("")
    # Excel hands back whole numbers typed as numbers as '2020' but may give '2020.0'; undo that.
    for col in df.columns:
        df[col] = df[col].str.replace(r"^(-?\d+)\.0$", r"\1", regex=True)
    df = df.loc[~(df == "").all(axis=1)]
    return df, "xlsx", []


_LINE_END = re.compile(r"\r\n|\n|\r")
# A quoted field as the C parser reads it: opened at the start of a field, "" inside, closed
# right before a comma, a line end or the end of the text.
_QUOTED_FIELD = re.compile(r'"[^"]*(?:""[^"]*)*"(?![^,\r\n])')


def _plain_quoting(text: str) -> bool:
    """True when every double quote of text belongs to a well-formed quoted field (see _QUOTED_FIELD).

    For such text pyarrow's CSV reader and pandas' C parser split fields identically; anything else
    (a quote inside an unquoted field, a quote never closed…) is left to the C parser, whose error
    messages the issues are built from. Only the quotes are visited, so this is cheap.
    """
    pos = text.find('"')
    while pos != -1:
        if pos and text[pos - 1] not in ",\r\n":
            return False
        m = _QUOTED_FIELD.match(text, pos)
        if m is None:
            return False
        pos = text.find('"', m.end())
    return True


def _read_csv_fast(raw: bytes, text: str, encoding: str) -> pd.DataFrame | None:
    """The same all-string table as the C-parser path below, read by pyarrow (about 4x less CPU on a
    100 000-row file). None when the text is anything but a plain, rectangular CSV: blank or ragged
    lines, an odd header (empty, duplicated, quoted or with a BOM), unusual quoting, or no pyarrow.
    The caller then takes the C-parser path, so messages about broken files do not change."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow comes with streamlit
        return None
    end = _LINE_END.search(text)
    header = text[: end.start()] if end else text
    names = header.split(",")
    if '"' in header or "\ufeff" in header or "" in names or len(set(names)) != len(names):
        return None
    if not _plain_quoting(text):
        return None
    if encoding in ("utf-8", "utf-8-sig"):
        data = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    else:
        data = text.encode("utf-8")
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):  # ragged or blank lines: the C parser reports them
        return None
    dtype = pd.StringDtype(na_value=float("nan"))
    # one contiguous block per column, like the C-parser path: every later filter (take) on a column
    # split into blocks first glues the blocks together again
    table = table.combine_chunks()
    return table.to_pandas(types_mapper={pa.string(): dtype, pa.large_string(): dtype}.get).fillna("")


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\r\n\t") or 0xE000 <= ord(ch) <= 0xF8FF)
    return bad > max(2, len(sample) // 100)


def _unterminated_quote(text: str) -> int | None:
    """Excel row number where an opening quote is never closed, or None."""
    if text.count('"') % 2 == 0:
        return None
    row, in_quote, start_row = 1, False, None
    prev = ""
    for ch in text:
        if ch == '"':
            in_quote = not in_quote
            if in_quote:
                start_row = row
        elif ch == "\n" and not in_quote:  # a line break inside a quoted cell stays in the same Excel row
            row += 1
        prev = ch
    del prev
    return start_row if in_quote else None


def _row_from_parser_error(message: str) -> int | None:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


# ---------------------------------------------------------------- normalising


def normalise_headers(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    aliases = schema.header_aliases(kind)
    renamed = {}
    for col in df.columns:
        key = str(col).replace("\u3000", " ").strip().lower()
        renamed[col] = aliases.get(key, str(col).replace("\u3000", " ").strip())
    return df.rename(columns=renamed)


def normalise_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Strip half- and full-width spaces around every cell."""
    out = df.copy()
    for i in range(out.shape[1]):  # by position: a header may name a column twice (detail and 说明)
        # one strip() is enough: U+3000 is Unicode whitespace, which str.strip() removes in Python and
        # in pyarrow alike (strip().strip("\u3000").strip() took three passes over every cell)
        out.isetitem(i, out.iloc[:, i].astype(str).str.strip())
    return out


def normalise_number_text(s: pd.Series) -> pd.Series:
    """'１，２５０' -> '1250', '100%' -> '100'; other text unchanged (validation rejects it)."""
    # Each step runs only when some cell has its character (a county-sized column has none of them,
    # and translate is a cell-by-cell Python loop); the result is the same as running them all.
    if not s.str.isascii().all() and s.str.contains(_FULLWIDTH_CHARS, regex=True).any():
        s = s.str.translate(_FULLWIDTH)
    s = s.str.replace(" ", "", regex=False)
    if s.str.contains(",", regex=False).any():
        thousands = s.str.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")
        s = s.where(~thousands.fillna(False), s.str.replace(",", "", regex=False))
    if s.str.contains("%", regex=False).any():
        # same result as the look-behind (?<=\d)%$, which pandas can only run cell by cell in Python
        s = s.str.replace(r"(\d)%$", r"\1", regex=True)
    return s


# ---------------------------------------------------------------- loading


def read_table(path: Path, kind: str, raw: bytes | None = None) -> tuple[pd.DataFrame | None, FileInfo, list[Issue]]:
    """Read and normalise one data file; type conversion happens in validate."""
    info = FileInfo(kind, path)
    with contextlib.suppress(OSError):
        info.mtime = path.stat().st_mtime
    df, info.encoding, issues = read_raw_table(path, raw)
    if df is None:
        return None, info, issues
    df = normalise_cells(normalise_headers(df, kind))
    if df.shape[1] == 0 or (df.iloc[:, 0] == "").any():  # a blank row starts with a blank cell
        df = df.loc[~(df == "").all(axis=1)]  # rows left blank in Excel
    info.rows = len(df)
    return df, info, issues


def kind_of_file(path: Path) -> str | None:
    """Which data file this is, from its name: indicators.csv, 指标.xlsx, goals_2021 (1).csv …"""
    stem = path.stem.lower()
    for kind in schema.FILE_KINDS:
        if stem.startswith(kind) or stem.startswith(schema.FILE_LABELS[kind]):
            return kind
    if stem.startswith("goals"):
        return schema.GOALS
    return None


def data_version(data_dir: Path) -> str:
    """A key that changes whenever any data file changes (mtime and size of each)."""
    parts = []
    for kind in schema.FILE_KINDS:
        for ext in ("csv", "xlsx"):
            p = data_dir / f"{kind}.{ext}"
            if p.is_file():
                mtime, size = file_signature(p)
                parts.append(f"{p.name}:{mtime}:{size}")
    return hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()


def load(data_dir: Path | str | None = None) -> Bundle:
    """Load and validate every data file of data_dir. Never raises on bad data."""
    from townboard.validate import validate_bundle  # avoid an import cycle

    data_dir = Path(data_dir) if data_dir else data_dir_from_env()
    version = data_version(data_dir)
    frames: dict[str, pd.DataFrame | None] = {}
    files: dict[str, FileInfo] = {}
    issues: list[Issue] = []
    for kind in schema.FILE_KINDS:
        path, found = find_file(data_dir, kind)
        issues += found
        if path is None:
            frames[kind] = None
            files[kind] = FileInfo(kind, None)
            continue
        df, info, read_issues = read_table(path, kind)
        frames[kind], files[kind] = df, info
        issues += read_issues
    bundle = validate_bundle(frames, files)
    bundle.issues = issues + bundle.issues
    bundle.version = version
    bundle.loaded_at = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    return bundle
