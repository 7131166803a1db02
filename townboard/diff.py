"""Row-level differences between two versions of a data file (by id, or by position when no id)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


def _key(df: pd.DataFrame) -> str | None:
    for k in ("id", "section"):
        if k in df.columns and df[k].is_unique:
            return k
    return None


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        out[c] = out[c].astype(str).where(out[c].notna(), "")
    return out


@dataclass
class Diff:
    added: pd.DataFrame
    removed: pd.DataFrame
    changed: pd.DataFrame  # columns: 编号, 列, 原值, 新值

    @property
    def total(self) -> int:
        return len(self.added) + len(self.removed) + self.changed["编号"].nunique()


def diff_frames(old: pd.DataFrame, new: pd.DataFrame, columns: list[str] | None = None) -> Diff:
    """Compare two raw (string) tables on their contract columns."""
    cols = columns or [c for c in new.columns if c in old.columns]
    old_t, new_t = _as_text(old[[c for c in cols if c in old]]), _as_text(new[[c for c in cols if c in new]])
    key = _key(new_t) if _key(old_t) else None
    if key is None:
        old_t.index = [f"第{i + 2}行" for i in range(len(old_t))]
        new_t.index = [f"第{i + 2}行" for i in range(len(new_t))]
    else:
        old_t, new_t = old_t.set_index(key, drop=False), new_t.set_index(key, drop=False)
    added = new_t.loc[~new_t.index.isin(old_t.index)]
    removed = old_t.loc[~old_t.index.isin(new_t.index)]
    both = new_t.index[new_t.index.isin(old_t.index)]
    changes = []
    if len(both):
        a, b = old_t.loc[both], new_t.loc[both]
        shared = [c for c in b.columns if c in a.columns]
        neq = a[shared].ne(b[shared])
        for idx, col in zip(*neq.to_numpy().nonzero()):
            rid = both[idx]
            changes.append({"编号": str(rid), "列": shared[col], "原值": a.iloc[idx, col], "新值": b.iloc[idx, col]})
    return Diff(
        added.reset_index(drop=True),
        removed.reset_index(drop=True),
        pd.DataFrame(changes, columns=["编号", "列", "原值", "新值"]),
    )


def changed_rows(old: pd.DataFrame, new: pd.DataFrame) -> int:
    from townboard import schema

    names = [c.name for cols in schema.COLUMNS.values() for c in cols]
    cols = [c for c in dict.fromkeys(names) if c in old.columns and c in new.columns]
    return diff_frames(old, new, cols).total
