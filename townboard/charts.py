"""DataFrame -> alt.Chart, one function per chart kind; and the layout of a section's figures.

Rules every chart follows: one unit per axis; rates drawn against their target; each mark's tooltip
shows indicator, value with unit and qualifier, period, scope and the source clause; the same
colour-blind-safe palette (Okabe-Ito) everywhere; Chinese labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from townboard import fmt

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
BAR_HEIGHT = 30

TOOLTIP = [
    alt.Tooltip("指标:N"),
    alt.Tooltip("数值:N"),
    alt.Tooltip("时段:N"),
    alt.Tooltip("范围:N"),
    alt.Tooltip("原文:N"),
]
TOOLTIP_FIELDS = [t.to_dict()["field"] for t in TOOLTIP]


def tooltip_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Indicator rows -> the columns every chart mark carries (Chinese names)."""
    out = pd.DataFrame(index=df.index)
    scope = df.get("scope", pd.Series("", index=df.index)).fillna("")
    period = df.get("period", pd.Series("", index=df.index)).fillna("")
    out["编号"] = df["id"].astype(str)
    out["指标"] = df["indicator"].astype(str)
    out["标签"] = [fmt.label(i, s) for i, s in zip(df["indicator"].astype(str), scope)]
    dup = out["标签"].duplicated(keep=False)
    out.loc[dup, "标签"] = out.loc[dup, "标签"] + "·" + out.loc[dup, "编号"]
    out["数值"] = [fmt.row_figure(r) for r in df.to_dict("records")]
    out["值"] = df["value"].astype(float)
    out["单位"] = df["unit"].astype(str)
    out["时段"] = period.where(period != "", "全年")
    out["范围"] = scope.where(scope != "", "全镇")
    out["原文"] = df["source"].astype(str)
    out["年份"] = df["year"].astype("Int64").astype(str) if "year" in df else ""
    return out.reset_index(drop=True)


def value_axis(values: pd.Series) -> alt.Axis:
    """Thousands separators without exponent notation; whole-number ticks for counts."""
    whole = bool((values.dropna() % 1 == 0).all())
    return alt.Axis(format=",~f", tickMinStep=1) if whole else alt.Axis(format=",~f")


def _style(chart: alt.Chart | alt.LayerChart, title: str | None = None) -> alt.Chart:
    if title:
        chart = chart.properties(title=alt.TitleParams(title, anchor="start", fontSize=15))
    return chart.configure(font=FONT).configure_range(category=PALETTE).configure_view(strokeWidth=0)


def bar_chart(df: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """Figures of ONE unit side by side (horizontal bars, largest first)."""
    units = set(df["unit"])
    if len(units) != 1:
        raise ValueError(f"bar_chart needs one unit, got {sorted(units)}")
    unit = units.pop()
    data = tooltip_frame(df)
    base = alt.Chart(data).encode(
        y=alt.Y("标签:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("值:Q", title=f"单位：{unit}", axis=value_axis(data["值"])),
        tooltip=TOOLTIP,
    )
    bars = base.mark_bar(color=PALETTE[0], cornerRadiusEnd=3)
    labels = base.mark_text(align="left", dx=4, fontSize=12).encode(text="数值:N")
    chart = alt.layer(bars, labels).properties(height=alt.Step(BAR_HEIGHT), width="container")
    return _style(chart, title)


def rate_chart(df: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """Rates (%) as bullet marks: a bar for the value, a tick for the target (100 when none given)."""
    data = tooltip_frame(df)
    target = df["target"].astype(float).reset_index(drop=True) if "target" in df else pd.Series(dtype=float)
    data["目标"] = target.fillna(100.0)
    data["目标值"] = data["目标"].map(lambda v: f"{fmt.number_text(v)}%")
    top = max(100.0, float(data["值"].max()), float(data["目标"].max()))
    scale = alt.Scale(domain=[0, top])
    y = alt.Y("标签:N", title=None, axis=alt.Axis(labelLimit=260))
    track = (
        alt.Chart(data).mark_bar(color="#E8E8E8", size=18).encode(y=y, x=alt.X("目标:Q", scale=scale, title="单位：%"))
    )
    bars = (
        alt.Chart(data)
        .mark_bar(color=PALETTE[2], size=12)
        .encode(
            y=y,
            x=alt.X("值:Q", scale=scale, title="单位：%"),
            tooltip=TOOLTIP + [alt.Tooltip("目标值:N", title="目标")],
        )
    )
    ticks = (
        alt.Chart(data)
        .mark_tick(color="#000000", thickness=3, size=24)
        .encode(y=y, x="目标:Q", tooltip=TOOLTIP + [alt.Tooltip("目标值:N", title="目标")])
    )
    labels = alt.Chart(data).mark_text(align="left", dx=6).encode(y=y, x="值:Q", text="数值:N")
    chart = alt.layer(track, bars, ticks, labels).properties(height=alt.Step(36), width="container")
    return _style(chart, title)


def part_chart(parent: pd.Series, parts: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """Part of a whole: one stacked bar of the parts the report names plus the rest, same unit."""
    whole = tooltip_frame(parent.to_frame().T)
    data = tooltip_frame(parts)
    data["部分"] = data["标签"]
    rest = float(parent["value"]) - float(parts["value"].astype(float).sum())
    if rest > 0:
        extra = whole.copy()
        extra["值"] = rest
        extra["指标"] = f"{parent['indicator']}：其余（原文未单列）"
        extra["数值"] = f"{fmt.number_text(rest)}{parent['unit']}（由总数推算）"
        extra["部分"] = "其余（原文未单列）"
        data = pd.concat([data, extra], ignore_index=True)
    data["整体"] = f"{parent['indicator']} {fmt.row_figure(parent)}"
    data["序"] = range(len(data))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("整体:N", title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X("值:Q", stack="zero", title=f"单位：{parent['unit']}", axis=value_axis(data["值"])),
            color=alt.Color(
                "部分:N",
                title="组成",
                scale=alt.Scale(range=PALETTE),
                sort=list(data["部分"]),
                legend=alt.Legend(orient="bottom", labelLimit=300),
            ),
            order=alt.Order("序:Q"),
            tooltip=TOOLTIP,
        )
        .properties(height=alt.Step(44), width="container")
    )
    return _style(chart, title)


def trend_chart(df: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """One indicator over several years (bars per year, one unit)."""
    data = tooltip_frame(df.sort_values("year"))
    unit = data["单位"].iloc[0]
    base = alt.Chart(data).encode(
        x=alt.X("年份:O", title="年份", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("值:Q", title=f"单位：{unit}", axis=value_axis(data["值"])),
        tooltip=TOOLTIP + [alt.Tooltip("年份:N")],
    )
    chart = alt.layer(base.mark_bar(color=PALETTE[0], size=36), base.mark_text(dy=-8).encode(text="数值:N")).properties(
        height=200, width="container"
    )
    return _style(chart, title)


def progress_chart(df: pd.DataFrame, by: str, title: str | None = None) -> alt.Chart:
    """Average goal progress (%) per group or theme; df has columns by, 平均进度, 任务数."""
    data = df.copy()
    data["进度文本"] = data["平均进度"].map(fmt.percent)
    y = alt.Y(f"{by}:N", sort=list(data[by]), title=None, axis=alt.Axis(labelLimit=260))
    scale = alt.Scale(domain=[0, 100])
    tooltip = [alt.Tooltip(f"{by}:N"), alt.Tooltip("进度文本:N", title="平均进度"), alt.Tooltip("任务数:Q")]
    track = (
        alt.Chart(data)
        .transform_calculate(满=str(100))
        .mark_bar(color="#E8E8E8")
        .encode(y=y, x=alt.X("满:Q", scale=scale, title="平均进度（%）"))
    )
    bars = alt.Chart(data).mark_bar(color=PALETTE[2]).encode(y=y, x=alt.X("平均进度:Q", scale=scale), tooltip=tooltip)
    labels = alt.Chart(data).mark_text(align="left", dx=4).encode(y=y, x="平均进度:Q", text="进度文本:N")
    chart = alt.layer(track, bars, labels).properties(height=alt.Step(BAR_HEIGHT), width="container")
    return _style(chart, title)


def status_chart(counts: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """Goal counts per status (unit: 项)."""
    colours = {"已完成": PALETTE[2], "进行中": PALETTE[0], "未开始": "#999999", "滞后": PALETTE[5]}
    data = counts.copy()
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("状态:N", sort=list(colours), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("任务数:Q", title="单位：项", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("状态:N", scale=alt.Scale(domain=list(colours), range=list(colours.values())), legend=None),
            tooltip=[alt.Tooltip("状态:N"), alt.Tooltip("任务数:Q")],
        )
        .properties(height=200, width="container")
    )
    return _style(chart, title)


def history_chart(df: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """Overall average progress (%) over time; df has 时间, 平均进度."""
    data = df.copy()
    data["进度文本"] = data["平均进度"].map(fmt.percent)
    chart = (
        alt.Chart(data)
        .mark_line(point=True, color=PALETTE[0])
        .encode(
            x=alt.X("时间:T", title="时间", axis=alt.Axis(format="%Y-%m-%d")),
            y=alt.Y("平均进度:Q", title="全部任务平均进度（%）", scale=alt.Scale(domain=[0, 100])),
            tooltip=[alt.Tooltip("时间:T", format="%Y-%m-%d %H:%M"), alt.Tooltip("进度文本:N", title="平均进度")],
        )
        .properties(height=220, width="container")
    )
    return _style(chart, title)


# ---------------------------------------------------------------- section layout


@dataclass
class Block:
    """One element of a section page: metric cards or a chart of one kind, with its rows."""

    kind: str  # "metrics" | "bar" | "rate" | "part"
    rows: pd.DataFrame
    title: str = ""
    parent: pd.Series | None = None
    spec: dict = field(default_factory=dict)


def topic_blocks(rows: pd.DataFrame) -> list[Block]:
    """Split one topic's figures into blocks that never mix units on an axis.

    - part-of-whole where a row names its parent (same unit, parts not above the whole) -> stacked bar
    - rates (%) -> bullet chart against target (a lone % without target is a metric card)
    - two or more figures of the same unit -> bar chart
    - a figure alone in its unit -> metric card
    """
    blocks: list[Block] = []
    rest = rows.copy()
    ids = set(rest["id"])
    parent_col = rest["parent"] if "parent" in rest else pd.Series("", index=rest.index)
    for pid in dict.fromkeys(p for p in parent_col if p and p in ids):
        if pid not in set(rest["id"]):  # already drawn as a part of its own parent (nested parents)
            continue
        parent = rest.loc[rest["id"] == pid].iloc[0]
        parts = rest.loc[(parent_col == pid) & (rest["unit"] == parent["unit"])]
        if parts.empty or float(parts["value"].sum()) > float(parent["value"]):
            continue  # parts that add up to more than the whole overlap: no stacked bar of them
        blocks.append(Block("part", parts, f"{parent['indicator']}的构成", parent=parent))
        rest = rest.loc[~rest["id"].isin(set(parts["id"]) | {pid})]
        parent_col = parent_col.loc[rest.index]
    rates = rest.loc[rest["unit"] == "%"]
    if len(rates) >= 2 or (len(rates) == 1 and pd.notna(rates["target"].iloc[0])):
        blocks.append(Block("rate", rates, "比率与目标"))
        rest = rest.loc[rest["unit"] != "%"]
    singles = []
    for unit, group in rest.groupby("unit", sort=False):
        if len(group) >= 2:
            blocks.append(Block("bar", group, f"单位：{unit}"))
        else:
            singles.append(group)
    if singles:
        blocks.insert(0, Block("metrics", pd.concat(singles)))
    return blocks


def block_chart(block: Block) -> alt.Chart | None:
    if block.kind == "bar":
        return bar_chart(block.rows)
    if block.kind == "rate":
        return rate_chart(block.rows)
    if block.kind == "part":
        return part_chart(block.parent, block.rows)
    return None


def mini_chart(rows: pd.DataFrame, top: int = 5) -> alt.Chart | None:
    """The overview's compact chart of a section: its largest same-unit group (not %), top N."""
    pool = rows.loc[rows["unit"] != "%"]
    if pool.empty:
        return None
    unit = pool["unit"].value_counts().index[0]
    group = pool.loc[pool["unit"] == unit].sort_values("value", ascending=False).head(top)
    if len(group) < 2:
        return None
    return bar_chart(group, title=f"“{unit}”类指标（前{len(group)}项）")


def to_spec(chart: alt.Chart) -> dict:
    """The Vega-Lite dict (schema validation happens here, once per data version)."""
    return chart.to_dict()
