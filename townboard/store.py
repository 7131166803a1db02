"""Safe writes: atomic replace, a timestamped backup of the previous file, and a stale-write check.

Every write goes: check the file on disk is still the one the user read (content hash) -> copy it
to data/backups/ -> write a temporary file in the same folder -> fsync -> os.replace. A failure at
any step leaves the original file as it was. One lock per file serialises writers of this process.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from townboard import schema
from townboard.data import FileInfo, find_file, read_table
from townboard.issues import Issue
from townboard.validate import validate_bundle

BACKUP_DIR = "backups"
HISTORY_FILE = "goals_history.csv"
HISTORY_COLUMNS = ["timestamp", "goal_id", "field", "old", "new", "who"]
_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)


class StaleWriteError(Exception):
    """The file changed on disk after the user read it: someone else saved first."""


class InvalidDataError(Exception):
    def __init__(self, issues: list[Issue]):
        super().__init__("；".join(str(i) for i in issues))
        self.issues = issues


def signature(path: Path) -> str:
    """Content hash of a file ('' when it does not exist)."""
    try:
        return hashlib.blake2b(Path(path).read_bytes(), digest_size=16).hexdigest()
    except FileNotFoundError:
        return ""


def backup(path: Path) -> Path | None:
    """Copy path into data/backups/ as name-YYYYmmdd-HHMMSS-ffffff.ext; None when path is absent."""
    path = Path(path)
    if not path.exists():
        return None
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    shutil.copy2(path, target)
    return target


def atomic_write(path: Path, data: bytes, expected: str | None = None, keep_backup: bool = True) -> Path | None:
    """Replace path with data atomically. expected: the signature the caller read, or None to skip.

    Returns the backup path. Raises StaleWriteError when the file changed since it was read.
    """
    path = Path(path)
    with _locks[str(path.resolve())]:
        if expected is not None and signature(path) != expected:
            raise StaleWriteError(path.name)
        saved = backup(path) if keep_backup else None
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return saved


def table_bytes(df: pd.DataFrame, path: Path) -> bytes:
    """A data table as the project writes it: UTF-8 with BOM CSV, or an .xlsx workbook."""
    if Path(path).suffix.lower() == ".xlsx":
        import io

        buf = io.BytesIO()
        df.to_excel(buf, index=False, engine="openpyxl")
        return buf.getvalue()
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def list_backups(data_dir: Path) -> pd.DataFrame:
    folder = Path(data_dir) / BACKUP_DIR
    files = sorted(folder.glob("*.*"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.is_dir() else []
    return pd.DataFrame(
        {
            "文件": [p.name for p in files],
            "原文件": [_original_name(p) for p in files],
            "备份时间": [datetime.fromtimestamp(p.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S") for p in files],
            "大小": [f"{p.stat().st_size / 1024:.1f} KB" for p in files],
        }
    )


def _original_name(p: Path) -> str:
    stem = p.stem.rsplit("-", 3)[0] if p.stem.count("-") >= 3 else p.stem
    return f"{stem}{p.suffix}"


def restore(data_dir: Path, backup_name: str) -> Path:
    """Put a backup back in place (the file it replaces is itself backed up first)."""
    data_dir = Path(data_dir)
    src = (data_dir / BACKUP_DIR / backup_name).resolve()
    if src.parent != (data_dir / BACKUP_DIR).resolve() or not src.is_file():
        raise FileNotFoundError(backup_name)
    target = data_dir / _original_name(src)
    atomic_write(target, src.read_bytes())
    return target


# ---------------------------------------------------------------- goals


@dataclass
class GoalsFile:
    path: Path
    raw: pd.DataFrame  # cells as strings, English headers
    signature: str


def read_goals(data_dir: Path) -> GoalsFile:
    path, issues = find_file(Path(data_dir), schema.GOALS)
    if path is None:
        raise InvalidDataError(issues)
    sig = signature(path)
    df, _, issues = read_table(path, schema.GOALS)
    if df is None:
        raise InvalidDataError(issues)
    return GoalsFile(path, df.reset_index(drop=True), sig)


def save_goal_changes(
    data_dir: Path, changes: dict[str, dict[str, str]], expected: str, who: str = "", today: str | None = None
) -> list[dict]:
    """Apply {goal id: {field: new text}} to goals_2021 and write it safely; log to the history.

    Only fields whose text differs from the file are written. Validates the whole file with the
    change (the contract's rules: progress 0-100, status, 已完成 -> 100, real dates) and raises
    InvalidDataError naming the goal and field, StaleWriteError when the file changed since `expected`.
    Returns the history rows written.
    """
    data_dir = Path(data_dir)
    current = read_goals(data_dir)
    if current.signature != expected:
        raise StaleWriteError(current.path.name)
    df = current.raw.copy()
    for col in schema.COLUMNS[schema.GOALS]:
        if col.name not in df.columns:
            df[col.name] = ""
    now = datetime.now()
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    history = []
    for gid, fields in changes.items():
        hit = df.index[df["id"] == gid]
        if len(hit) == 0:
            raise InvalidDataError(
                [Issue(current.path.name, None, "id（编号）", gid, "找不到这个目标，可能已被他人删除")]
            )
        i = hit[0]
        for field, new in fields.items():
            if field not in ("status", "progress", "actual", "owner", "due", "note"):
                raise ValueError(f"field {field} is not editable")
            new = "" if new is None else str(new).strip()
            old = str(df.at[i, field])
            if new == old:
                continue
            df.at[i, field] = new
            history.append(
                {
                    "timestamp": stamp,
                    "goal_id": gid,
                    "field": field,
                    "old": old,
                    "new": new,
                    "who": who.strip() or "管理员",
                }
            )
        if any(h["goal_id"] == gid for h in history):
            df.at[i, "updated"] = today or now.strftime("%Y-%m-%d")
    if not history:
        return []
    _validate_goals(data_dir, df, current.path)
    atomic_write(current.path, table_bytes(df, current.path), expected=expected)
    append_history(data_dir, history)
    return history


def _validate_goals(data_dir: Path, df: pd.DataFrame, path: Path) -> None:
    frames, files = {}, {}
    for kind in schema.FILE_KINDS:
        if kind == schema.GOALS:
            frames[kind], files[kind] = df, FileInfo(kind, path, len(df))
            continue
        p, _ = find_file(data_dir, kind)
        frames[kind], files[kind], _ = read_table(p, kind) if p else (None, FileInfo(kind, None), [])
    bundle = validate_bundle(frames, files)
    errors = [i for i in bundle.errors if i.file == path.name]
    if errors:
        raise InvalidDataError(errors)


def read_history(data_dir: Path) -> pd.DataFrame:
    path = Path(data_dir) / HISTORY_FILE
    if not path.is_file():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    df, _, _ = read_table(path, schema.GOALS)
    if df is None:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    return df.reindex(columns=HISTORY_COLUMNS, fill_value="")


def append_history(data_dir: Path, rows: list[dict]) -> None:
    path = Path(data_dir) / HISTORY_FILE
    old = read_history(data_dir)
    new = pd.concat([old, pd.DataFrame(rows, columns=HISTORY_COLUMNS)], ignore_index=True)
    atomic_write(path, new.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"), keep_backup=False)


# ---------------------------------------------------------------- replacing a whole data file


def replace_file(data_dir: Path, kind: str, data: bytes, suffix: str, expected: str) -> Path:
    """Write an uploaded, already validated file as the data file of `kind`; returns the new path.

    The upload keeps its format (.csv or .xlsx). When the format changes, the old file is backed up
    and removed so that only one file of this kind remains.
    """
    data_dir = Path(data_dir)
    if suffix.lower() == ".csv":  # whatever Excel saved (GBK, BOM…), the project writes UTF-8 with BOM
        from townboard.data import decode_bytes

        data = decode_bytes(data)[0].encode("utf-8-sig")
    current, _ = find_file(data_dir, kind)
    target = data_dir / f"{kind}{suffix.lower()}"
    if current is not None and current != target:
        if signature(current) != expected:
            raise StaleWriteError(current.name)
        atomic_write(target, data, expected=signature(target) if target.exists() else "")
        backup(current)
        current.unlink()
        return target
    atomic_write(target, data, expected=expected)
    return target
