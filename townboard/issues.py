"""One problem found in a data file, worded for an official in Chinese."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    file: str
    row: int | None  # as Excel numbers it: the header is row 1
    column: str | None  # e.g. value（数值）
    value: str | None
    message: str  # what is wrong and what is expected
    level: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"“{self.column}”列")
        text = " ".join(where) + "："
        if self.value is not None:
            shown = self.value if len(self.value) <= 40 else self.value[:40] + "…"
            text += f"值“{shown}”——"
        kind = "错误" if self.level == "error" else "提醒"
        return f"【{kind}】{text}{self.message}"
