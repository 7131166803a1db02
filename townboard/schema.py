"""The data contract (shared/guide/data-contract.md) as data: files, columns, aliases, kinds.

Each column is (name, Chinese alias, required, kind). Kinds drive validation and parsing:
  text     free text, stripped
  id       unique, non-empty text
  int      integer (year, order, highlight)
  number   finite float; thousands separators, full-width digits and a trailing % normalised
  date     YYYY-MM-DD, a real calendar date
  ids      `;`-separated references to ids of another file
"""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS = "sections"
INDICATORS = "indicators"
GOALS = "goals_2021"
PROBLEMS = "problems"

FILE_KINDS = (SECTIONS, INDICATORS, GOALS, PROBLEMS)

FILE_LABELS = {
    SECTIONS: "板块",
    INDICATORS: "指标",
    GOALS: "2021年目标",
    PROBLEMS: "存在的问题",
}


@dataclass(frozen=True)
class Column:
    name: str
    alias: str
    required: bool
    kind: str = "text"

    @property
    def label(self) -> str:
        """How a user sees the column in messages: value（数值）."""
        return f"{self.name}（{self.alias}）"


COLUMNS: dict[str, tuple[Column, ...]] = {
    SECTIONS: (
        Column("section", "板块", True, "id"),
        Column("order", "顺序", True, "int"),
        Column("heading", "标题", True),
        Column("summary", "概述", False),
    ),
    INDICATORS: (
        Column("id", "编号", True, "id"),
        Column("year", "年份", True, "int"),
        Column("section", "板块", True),
        Column("topic", "专题", True),
        Column("indicator", "指标", True),
        Column("value", "数值", True, "number"),
        Column("unit", "单位", True),
        Column("qualifier", "限定", False),
        Column("period", "时段", False),
        Column("scope", "范围", False),
        Column("target", "目标值", False, "number"),
        Column("source", "原文", True),
        Column("note", "备注", False),
        # Optional columns added by this project (the contract allows additions):
        # highlight ranks the most telling figures of a section (1-3 overview cards, 1-6 slides);
        # parent names the total a figure is a part of (for part-of-whole charts).
        Column("highlight", "重点", False, "int"),
        Column("parent", "上级指标", False),
    ),
    GOALS: (
        Column("id", "编号", True, "id"),
        Column("group", "类别", True),
        Column("theme", "方向", True),
        Column("task", "任务", True),
        Column("source", "原文", True),
        Column("section", "板块", False),
        Column("baseline_ids", "基线指标", False, "ids"),
        Column("target", "目标值", False, "number"),
        Column("unit", "单位", False),
        Column("actual", "完成值", False, "number"),
        Column("owner", "责任人", False),
        Column("due", "完成时限", False, "date"),
        Column("status", "状态", True),
        Column("progress", "进度", True, "number"),
        Column("updated", "更新日期", False, "date"),
        Column("note", "备注", False),
    ),
    PROBLEMS: (
        Column("id", "编号", True, "id"),
        Column("problem", "问题", True),
        Column("detail", "说明", True),
        Column("goal_ids", "对应目标", False, "ids"),
    ),
}

GOAL_GROUPS = ("一条主线", "两个重点", "三个导向", "四个意识")
GOAL_STATUSES = ("未开始", "进行中", "已完成", "滞后")
QUALIFIERS = ("余", "多", "近", "约", "以上", "至少", "不少于", "左右")


def column(kind: str, name: str) -> Column:
    return next(c for c in COLUMNS[kind] if c.name == name)


def header_aliases(kind: str) -> dict[str, str]:
    """Map every accepted header spelling (English, Chinese, 'value（数值）') to the English name."""
    out: dict[str, str] = {}
    for c in COLUMNS[kind]:
        for spelling in (c.name, c.alias, f"{c.name}({c.alias})", f"{c.name}（{c.alias}）"):
            out[spelling.lower()] = c.name
    return out
