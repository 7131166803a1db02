"""2021 goals: status counts, progress roll-ups, overdue and due-soon tasks, history of saves."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from townboard import fmt, schema
from townboard.validate import split_ids

__all__ = ["split_ids"]

EDITABLE = ("status", "progress", "actual", "owner", "due", "note")
EDITABLE_LABELS = {c: schema.column(schema.GOALS, c).label for c in EDITABLE}


def status_counts(goals: pd.DataFrame) -> dict[str, int]:
    counts = goals["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in schema.GOAL_STATUSES}


def average_progress(goals: pd.DataFrame) -> float | None:
    p = goals["progress"].dropna()
    return float(p.mean()) if len(p) else None


def fmt_progress(value: float | None) -> str:
    return fmt.percent(value)


def rollup(goals: pd.DataFrame, by: str) -> pd.DataFrame:
    """Average progress and task count per `by` (group or theme), in plan order."""
    order = list(schema.GOAL_GROUPS) if by == "group" else list(dict.fromkeys(goals[by]))
    g = (
        goals.groupby(by, sort=False)["progress"]
        .agg(["mean", "count"])
        .reindex([o for o in order if o in set(goals[by])])
    )
    label = schema.column(schema.GOALS, by).alias
    return pd.DataFrame({label: g.index, "平均进度": g["mean"].round(1).to_numpy(), "任务数": g["count"].to_numpy()})


def _due(goals: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(goals["due"].where(goals["due"] != ""), format="%Y-%m-%d", errors="coerce")


def overdue(goals: pd.DataFrame, today: date | None = None) -> pd.DataFrame:
    """Tasks whose due date has passed and that are not 已完成, most overdue first."""
    today = pd.Timestamp(today or date.today())
    due = _due(goals)
    mask = due.notna() & (due < today) & (goals["status"] != "已完成")
    out = goals.loc[mask].copy()
    out["逾期天数"] = (today - due[mask]).dt.days.astype(int)
    return out.sort_values("逾期天数", ascending=False)


def due_soon(goals: pd.DataFrame, today: date | None = None, days: int = 30) -> pd.DataFrame:
    today = pd.Timestamp(today or date.today())
    due = _due(goals)
    mask = due.notna() & (due >= today) & (due <= today + timedelta(days=days)) & (goals["status"] != "已完成")
    out = goals.loc[mask].copy()
    out["剩余天数"] = (due[mask] - today).dt.days.astype(int)
    return out.sort_values("剩余天数")


def filter_goals(goals: pd.DataFrame, groups=(), statuses=(), owners=(), sections=()) -> pd.DataFrame:
    mask = pd.Series(True, index=goals.index)
    for col, chosen in (("group", groups), ("status", statuses), ("owner", owners), ("section", sections)):
        if chosen:
            mask &= goals[col].isin(list(chosen))
    return goals.loc[mask]


def baseline_rows(goal: dict, indicators: pd.DataFrame) -> pd.DataFrame:
    ids = split_ids(goal.get("baseline_ids", ""))
    rows = indicators.loc[indicators["id"].isin(ids)]
    return rows.set_index("id").loc[[i for i in ids if i in set(rows["id"])]].reset_index()


def problems_for_goal(goal_id: str, problems: pd.DataFrame) -> pd.DataFrame:
    return problems.loc[[goal_id in split_ids(x) for x in problems["goal_ids"]]]


def progress_over_time(history: pd.DataFrame, goals_now: pd.DataFrame) -> pd.DataFrame:
    """Average progress of all goals after each save, rebuilt from the history of progress changes.

    Walks the history backwards from today's progress values, so the curve ends at today's average.
    """
    if history.empty:
        return pd.DataFrame(columns=["时间", "平均进度"])
    h = history.loc[history["field"] == "progress"].copy()
    if h.empty:
        return pd.DataFrame(columns=["时间", "平均进度"])
    h["t"] = pd.to_datetime(h["timestamp"], errors="coerce")
    h = h.dropna(subset=["t"]).sort_values("t")
    current = dict(zip(goals_now["id"], goals_now["progress"].astype(float)))
    points = [(h["t"].iloc[-1], sum(current.values()) / max(1, len(current)))]
    for _, r in h.iloc[::-1].iterrows():
        try:
            current[r["goal_id"]] = float(r["old"]) if str(r["old"]).strip() else 0.0
        except ValueError:
            continue
        points.append((r["t"] - pd.Timedelta(seconds=1), sum(current.values()) / max(1, len(current))))
    out = pd.DataFrame(points[::-1], columns=["时间", "平均进度"])
    return out
