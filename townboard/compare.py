"""Year-over-year changes and the 2020 results <-> 2021 goals comparison."""

from __future__ import annotations

import pandas as pd

from townboard.validate import split_ids

SERIES_KEY = ["section", "topic", "indicator", "scope", "unit"]


def multi_year_series(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicators present in more than one year: one row per (series, year), sorted by year."""
    ind = indicators.loc[indicators["year"].notna()]
    years = ind.groupby(SERIES_KEY, sort=False)["year"].transform("nunique")
    return ind.loc[years > 1].sort_values(SERIES_KEY + ["year"])


def changes(indicators: pd.DataFrame) -> pd.DataFrame:
    """Latest year vs the year before, per series: 变化 and 变化率 (% of the earlier value)."""
    series = multi_year_series(indicators)
    rows = []
    for key, g in series.groupby(SERIES_KEY, sort=False):
        g = g.drop_duplicates("year", keep="last").sort_values("year")
        prev, last = g.iloc[-2], g.iloc[-1]
        delta = float(last["value"]) - float(prev["value"])
        pct = delta / float(prev["value"]) * 100 if float(prev["value"]) else None
        rows.append(
            dict(zip(SERIES_KEY, key))
            | {
                "from_year": int(prev["year"]),
                "to_year": int(last["year"]),
                "from_value": float(prev["value"]),
                "to_value": float(last["value"]),
                "change": delta,
                "pct_change": pct,
                "ids": list(g["id"]),
            }
        )
    return pd.DataFrame(rows)


def goals_for_section(section: str, goals: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """2021 goals that continue a 2020 section: by their `section`, or a baseline id in it."""
    ids = set(indicators.loc[indicators["section"] == section, "id"])
    by_baseline = goals["baseline_ids"].map(lambda s: bool(ids & set(split_ids(s))))
    return goals.loc[(goals["section"] == section) | by_baseline]


def problems_for_goals(goal_ids: set[str], problems: pd.DataFrame) -> pd.DataFrame:
    return problems.loc[[bool(goal_ids & set(split_ids(x))) for x in problems["goal_ids"]]]


def same_unit_options(indicators: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """unit -> its indicators (units with at least two), most common units first."""
    counts = indicators["unit"].value_counts()
    positions = indicators.groupby("unit", sort=False).indices  # one pass, not one comparison per unit
    return {u: indicators.iloc[positions[u]] for u in counts.index[counts.to_numpy() >= 2]}


def option_labels(pool: pd.DataFrame) -> dict[str, str]:
    """id -> 'DJ-004 党建引领 · 村集体收入（14个村合计）'. No figure in it: a shared link, which keeps
    these labels, must still work after a value is corrected."""
    from townboard import fmt

    return {
        r["id"]: f"{r['id']} {r['section']} · {fmt.label(r['indicator'], r['scope'])}" for r in pool.to_dict("records")
    }
