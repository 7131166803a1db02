"""The contract's rules -> typed DataFrames and a list of Issues (file, Excel row, column, value).

All checks are vectorised so that a county-sized file (100 000+ rows) validates in about the time
pandas takes to read it. Every problem is collected; nothing stops at the first error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from townboard import schema
from townboard.data import Bundle, FileInfo, normalise_number_text
from townboard.issues import Issue

_CN_NUMERALS = set("零〇一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾")


def split_ids(text: str) -> list[str]:
    """'A;B；C' -> ['A', 'B', 'C'] (full-width semicolons and commas accepted)."""
    if not isinstance(text, str):
        return []
    for sep in ("；", ",", "，", "、"):
        text = text.replace(sep, ";")
    return [p.strip() for p in text.split(";") if p.strip()]


def excel_rows(index: pd.Index) -> np.ndarray:
    return np.asarray(index) + 2  # header is row 1


class _Collector:
    def __init__(self, file: str, kind: str, raw: pd.DataFrame):
        # raw keeps the cells as the user typed them, so messages quote them unchanged
        self.file, self.kind, self.raw, self.issues = file, kind, raw, []

    def add_mask(self, df: pd.DataFrame, mask: pd.Series, col: str, message, level: str = "error") -> None:
        """Report every row where mask is True; message may be a function of the bad value."""
        if not mask.any():
            return
        bad = self.raw.loc[mask, col]
        for row, value in zip(excel_rows(bad.index), bad):
            text = message(value) if callable(message) else message
            label = schema.column(self.kind, col).label
            self.issues.append(Issue(self.file, int(row), label, str(value), text, level))


def number_hint(value: str) -> str:
    v = str(value)
    has_digit = any(ch.isdigit() for ch in v)
    if not has_digit and any(ch in _CN_NUMERALS for ch in v):
        return "应填写阿拉伯数字（例如 14），不能写汉字数字"
    if has_digit and any(ch in _CN_NUMERALS or ch in "元人户亩米栋个次件名" for ch in v):
        return "这一列只填数字；单位（如“万元”）请写在 unit（单位）列，例如数值填 537.65、单位填 万元"
    if v.lower() in ("nan", "inf", "-inf", "infinity"):
        return "应为一个具体的数字"
    return "应为数字，例如 537.65（可带千分位逗号或结尾的 %）"


def parse_numbers(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """-> (floats, normalised text, mask of non-empty cells that are not finite numbers)."""
    filled = s != ""
    if filled.all() or not len(s):
        text = normalise_number_text(s.astype(str))
    else:  # optional columns are mostly empty: normalise only the filled cells ("" stays "")
        text = normalise_number_text(s[filled].astype(str)).reindex(s.index, fill_value="")
    # to_numeric on a plain object array: the same parser, without a slower detour for str columns
    num = pd.Series(np.nan, index=s.index, name=s.name)
    num[filled] = pd.to_numeric(text[filled].to_numpy(dtype=object), errors="coerce").astype(float)
    bad = filled & ~np.isfinite(num.to_numpy())
    return num.where(~bad), text.where(filled, ""), bad


_DATE_PATTERNS = (
    (r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$", None),
    (r"^(\d{4})/(\d{1,2})/(\d{1,2})$", None),
    (r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$", None),
    (r"^(\d{4})年(\d{1,2})月(\d{1,2})日$", None),
)


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """-> (YYYY-MM-DD text or '', mask of non-empty cells that are not real dates)."""
    text = s.astype(str).str.translate(str.maketrans("０１２３４５６７８９－／", "0123456789-/"))
    out = pd.Series("", index=s.index, dtype=object)
    for pattern, _ in _DATE_PATTERNS:
        if not ((text != "") & (out == "")).any():  # every date already read (or none given)
            break
        parts = text.str.extract(pattern)
        hit = parts[0].notna() & (out == "")
        if hit.any():
            joined = parts.loc[hit, 0] + "-" + parts.loc[hit, 1].str.zfill(2) + "-" + parts.loc[hit, 2].str.zfill(2)
            real = pd.to_datetime(joined, format="%Y-%m-%d", errors="coerce")
            out.loc[hit] = joined.where(real.notna(), "")
    bad = (s != "") & (out == "")
    return out.astype(str), bad


def _check_file(df: pd.DataFrame | None, kind: str, info: FileInfo) -> tuple[pd.DataFrame, list[Issue]]:
    """Column-level and cell-level rules of one file; returns the typed frame."""
    cols = schema.COLUMNS[kind]
    names = [c.name for c in cols]
    if df is None:
        return _empty(kind), []
    c = _Collector(info.name, kind, df)
    missing = {col.name for col in cols if col.required and col.name not in df.columns}
    for col in cols:
        if col.name in missing:
            c.issues.append(Issue(info.name, 1, col.label, None, f"缺少必填列（表头应有 {col.name} 或 {col.alias}）"))
    extra = [x for x in df.columns if x not in names]
    for x in extra:
        c.issues.append(Issue(info.name, 1, str(x), None, "不认识的列名，这一列不会被使用", "warning"))
    if df.columns.duplicated().any():
        for x in df.columns[df.columns.duplicated()]:
            shown = schema.column(kind, x).label if x in names else str(x)
            c.issues.append(Issue(info.name, 1, shown, None, "表头中这一列出现了两次（英文名和中文名算同一列）"))
        df = df.loc[:, ~df.columns.duplicated()]
    df = df.copy()
    for col in cols:
        if col.name not in df.columns:
            df[col.name] = ""
    df = df[names + [x for x in df.columns if x not in names]]
    c.raw = df.copy()
    if len(df) == 0:
        c.issues.append(Issue(info.name, None, None, None, "只有表头，没有数据行"))
    for col in cols:
        s = df[col.name]
        if col.required and col.name not in missing:  # a missing column is reported once, on the header
            c.add_mask(df, s == "", col.name, "必填，不能为空")
        if col.kind == "id":
            dup = s.duplicated(keep="first") & (s != "")
            if dup.any():  # the id -> first row map costs a pass over every id: only when needed
                first_row = dict(zip(s[~s.duplicated()], excel_rows(s[~s.duplicated()].index)))
                c.add_mask(
                    df,
                    dup,
                    col.name,
                    lambda v, first_row=first_row: f"编号重复（第 {first_row.get(v)} 行已使用），编号必须唯一",
                )
        elif col.kind in ("number", "int"):
            num, text, bad = parse_numbers(s)
            c.add_mask(df, bad, col.name, number_hint)
            if col.kind == "int":
                frac = ~bad & num.notna() & (num != np.floor(num.fillna(0)))
                c.add_mask(df, frac, col.name, "应为整数，例如 2020")
                bad = bad | frac
                df[col.name] = num.where(~bad).round().astype("Int64")
            else:
                df[col.name] = num
                df[f"{col.name}_text"] = text.where(~bad, "")
        elif col.kind == "date":
            text, bad = parse_dates(s)
            c.add_mask(df, bad, col.name, "应为真实的日期，格式 YYYY-MM-DD，例如 2021-06-30")
            df[col.name] = text
    _KIND_RULES[kind](df, c)
    return df, c.issues


def _empty(kind: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=object) for c in schema.COLUMNS[kind]})


def _sections_rules(df: pd.DataFrame, c: _Collector) -> None:
    order = df["order"]
    c.add_mask(df, order.notna() & (order < 1), "order", "顺序应为从 1 开始的整数")
    dup = order.notna() & order.duplicated(keep=False)
    c.add_mask(df, dup, "order", "顺序号重复，板块的显示先后会不确定", "warning")


def _indicator_rules(df: pd.DataFrame, c: _Collector) -> None:
    year = df["year"]
    c.add_mask(df, year.notna() & ((year < 1949) | (year > 2100)), "year", "年份应在 1949 到 2100 之间")
    pct = df["unit"].isin(["%", "％"]) & df["value"].notna() & ((df["value"] < 0) | (df["value"] > 100))
    c.add_mask(df, pct, "value", "百分比通常在 0 到 100 之间，请确认", "warning")
    q = df["qualifier"]
    c.add_mask(
        df,
        (q != "") & ~q.isin(schema.QUALIFIERS),
        "qualifier",
        f"限定词通常为 {'、'.join(schema.QUALIFIERS)} 之一，请确认",
        "warning",
    )
    hl = df["highlight"]
    c.add_mask(
        df,
        hl.notna() & ((hl < 1) | (hl > 6)),
        "highlight",
        "重点排序应为 1 到 6 的整数（1–3 显示在总览，1–6 显示在演示）",
        "warning",
    )
    df["unit"] = df["unit"].replace("％", "%")


def _goal_rules(df: pd.DataFrame, c: _Collector) -> None:
    g = df["group"]
    c.add_mask(df, (g != "") & ~g.isin(schema.GOAL_GROUPS), "group", f"应为 {' / '.join(schema.GOAL_GROUPS)} 之一")
    st = df["status"]
    c.add_mask(
        df, (st != "") & ~st.isin(schema.GOAL_STATUSES), "status", f"应为 {' / '.join(schema.GOAL_STATUSES)} 之一"
    )
    p = df["progress"]
    c.add_mask(df, p.notna() & ((p < 0) | (p > 100)), "progress", "进度应在 0 到 100 之间")
    done = (st == "已完成") & p.notna() & (p != 100) & (p >= 0) & (p <= 100)
    c.add_mask(df, done, "progress", "状态为“已完成”时进度应为 100")


def _problem_rules(df: pd.DataFrame, c: _Collector) -> None:
    return None


_KIND_RULES = {
    schema.SECTIONS: _sections_rules,
    schema.INDICATORS: _indicator_rules,
    schema.GOALS: _goal_rules,
    schema.PROBLEMS: _problem_rules,
}


def _member(values, known: set[str] | pd.Series) -> np.ndarray:
    """values.isin(known) as a bool array, for a set or a (long) column of known values.

    pandas' isin on a str column turns every value looked for into a pyarrow scalar first (about a
    second for 100 000 ids), so a long column is searched for the few distinct values instead."""
    if isinstance(values, pd.Series) and isinstance(known, set):
        return np.asarray(values.isin(known), dtype=bool)
    values = list(values)
    if isinstance(known, set):
        return np.array([v in known for v in values], dtype=bool)
    wanted = list(dict.fromkeys(values))
    if len(wanted) <= 10_000:
        present = set(known[known.isin(wanted)])
    else:
        present = set(known.to_numpy(dtype=object)) & set(wanted)
    return np.array([v in present for v in values], dtype=bool)


def _cross_rules(t: dict[str, pd.DataFrame], files: dict[str, FileInfo], loaded: set[str]) -> list[Issue]:
    """References between files: sections known, baseline ids and goal ids exist, parents exist."""
    out: list[Issue] = []

    def check(kind: str, col: str, known: set[str] | pd.Series, what: str, multi: bool = False) -> None:
        df = t[kind]
        label = schema.column(kind, col).label
        s = df[col]
        nonempty = s[s != ""]
        if multi:
            cells = list(nonempty.items())
            refs = list(dict.fromkeys(x for _, cell in cells for x in split_ids(cell)))
            found = set(np.asarray(refs, dtype=object)[_member(refs, known)]) if refs else set()
            for idx, cell in cells:
                missing = [x for x in split_ids(cell) if x not in found]
                if missing:
                    out.append(
                        Issue(files[kind].name, int(idx) + 2, label, cell, f"{what}中找不到：{'、'.join(missing)}")
                    )
        else:
            bad = nonempty[~_member(nonempty, known)]
            for idx, cell in bad.items():
                out.append(Issue(files[kind].name, int(idx) + 2, label, cell, f"{what}中没有这一项"))

    sections = set(t[schema.SECTIONS]["section"]) - {""}
    # ids stay columns (a set of 100 000 ids costs more than the checks that use it)
    ind_ids = t[schema.INDICATORS]["id"]
    goal_ids = set(t[schema.GOALS]["id"]) - {""}
    sec_file, ind_file, goal_file = (files[k].name for k in (schema.SECTIONS, schema.INDICATORS, schema.GOALS))
    if schema.SECTIONS in loaded:
        names = "、".join(sorted(sections)) if len(sections) <= 10 else f"{len(sections)} 个板块"
        if schema.INDICATORS in loaded:
            check(schema.INDICATORS, "section", sections, f"{sec_file}（已有：{names}）")
        if schema.GOALS in loaded:
            check(schema.GOALS, "section", sections, f"{sec_file}（已有：{names}）")
    if schema.INDICATORS in loaded:
        check(schema.INDICATORS, "parent", ind_ids, f"{ind_file} 的编号")
        if schema.GOALS in loaded:
            check(schema.GOALS, "baseline_ids", ind_ids, f"{ind_file} 的编号", multi=True)
    if schema.GOALS in loaded and schema.PROBLEMS in loaded:
        check(schema.PROBLEMS, "goal_ids", goal_ids, f"{goal_file} 的编号", multi=True)
    return out


def validate_bundle(frames: dict[str, pd.DataFrame | None], files: dict[str, FileInfo]) -> Bundle:
    typed: dict[str, pd.DataFrame] = {}
    issues: list[Issue] = []
    for kind in schema.FILE_KINDS:
        typed[kind], found = _check_file(frames.get(kind), kind, files[kind])
        issues += found
    loaded = {k for k in schema.FILE_KINDS if frames.get(k) is not None}
    issues += _cross_rules(typed, files, loaded)
    file_order = {files[k].name: n for n, k in enumerate(schema.FILE_KINDS)}
    issues.sort(key=lambda i: (file_order.get(i.file, 9), i.row or 0))
    if len(typed[schema.SECTIONS]):
        typed[schema.SECTIONS] = typed[schema.SECTIONS].sort_values("order", kind="stable")
    return Bundle(
        sections=typed[schema.SECTIONS],
        indicators=typed[schema.INDICATORS],
        goals=typed[schema.GOALS],
        problems=typed[schema.PROBLEMS],
        issues=issues,
        files=files,
    )


def validate_file(path, data_dir=None) -> tuple[str | None, list[Issue], int]:
    """Validate one file on disk, with its sibling files (if present) for the cross-file rules.

    Returns (kind or None, issues, rows).
    """
    from pathlib import Path

    from townboard.data import kind_of_file

    path = Path(path)
    kind = kind_of_file(path)
    if kind is None:
        return (
            None,
            [
                Issue(
                    path.name,
                    None,
                    None,
                    None,
                    "无法从文件名判断是哪一种数据文件（应为 sections / indicators / goals_2021 / problems）",
                )
            ],
            0,
        )
    _, issues, rows = validate_candidate(Path(data_dir) if data_dir else path.parent, kind, path)
    return kind, issues, rows


def validate_candidate(
    data_dir, kind: str, path, raw: bytes | None = None
) -> tuple[pd.DataFrame | None, list[Issue], int]:
    """Validate a file meant to be the `kind` file of data_dir (on disk, or uploaded bytes in raw),
    against the other current files of data_dir. Returns (raw string table, its issues, rows)."""
    from pathlib import Path

    from townboard.data import find_file, read_table

    frames: dict[str, pd.DataFrame | None] = {}
    files: dict[str, FileInfo] = {}
    own: list[Issue] = []
    for k in schema.FILE_KINDS:
        if k == kind:
            frames[k], files[k], own = read_table(Path(path), k, raw)
            continue
        sibling, _ = find_file(Path(data_dir), k)
        if sibling is None:
            frames[k], files[k] = None, FileInfo(k, None)
        else:
            frames[k], files[k], _ = read_table(sibling, k)
    bundle = validate_bundle(frames, files)
    mine = [i for i in bundle.issues if i.file == files[kind].name]
    return frames[kind], own + mine, files[kind].rows
