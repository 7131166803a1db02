"""对比分析: same-unit comparison across sections, 2020 results beside 2021 goals, year-over-year."""

import pandas as pd
import streamlit as st

from townboard import compare, fmt, ui

state = ui.current()
b = state.bundle
ind = b.indicators
st.title("对比分析")
tab_a, tab_b, tab_c = st.tabs(["同单位指标对比", "2020成效 ↔ 2021目标", "跨年度变化"])

with tab_a:
    options = compare.same_unit_options(ind)
    units = list(options)
    unit = st.selectbox("单位（同一张图只比较同一单位的指标）", units, key="unit", bind="query-params")
    pool = options.get(unit, ind.iloc[0:0])
    labels = compare.option_labels(pool)
    chosen = st.multiselect(
        "选择要对比的指标（可跨板块）",
        list(labels),
        default=list(labels)[: min(5, len(labels))] if "ids" not in st.query_params else None,
        format_func=lambda i: labels.get(i, i),
        key="ids",
        bind="query-params",
    )
    chosen = [i for i in chosen if i in labels]
    if chosen:
        ui.chart(ui.bar_spec(b, tuple(chosen)), key="compare-chart")
    else:
        st.info("请至少选择一项指标。", icon=":material/info:")

with tab_b:
    sections = list(b.sections["section"])
    sec = st.selectbox("板块", sections, key="sec", bind="query-params")
    left, right = st.columns(2)
    with left:
        st.subheader(f"2020年成效：{sec}")
        rows = ind.loc[ind["section"] == sec]
        for row in ui.headline_rows(rows, 6).to_dict("records"):
            st.markdown(f"- **{ui.text(fmt.row_figure(row))}**　{ui.text(row['indicator'])}")
        st.page_link(
            ui.section_pages()[sec], label=f"查看“{sec}”全部 {len(rows)} 项指标", icon=":material/arrow_forward:"
        )
    with right:
        st.subheader("2021年延续的目标")
        g = compare.goals_for_section(sec, b.goals, ind)
        if g.empty:
            st.caption("2021年打算中没有直接延续这一板块的目标。")
        for goal in g.to_dict("records"):
            st.markdown(
                f"- **{ui.text(goal['task'])}**（{ui.text(goal['status'])}，进度 {fmt.percent(goal['progress'])}）"
            )
        probs = compare.problems_for_goals(set(g["id"]), b.problems)
    st.subheader("对应的存在问题")
    if probs.empty:
        st.caption("这些目标没有对应报告“存在的问题”中的条目。")
    for p in probs.to_dict("records"):
        st.markdown(f"- **{ui.text(p['problem'])}**：{ui.text(p['detail'])}")

with tab_c:
    ch = compare.changes(ind)
    if ch.empty:
        st.info(
            "目前数据中每项指标只有一个年份。在 indicators.csv 中为同一板块、专题、指标和范围添加其他年份的行后，这里会显示变化量和变化率。",
            icon=":material/info:",
        )
    else:
        st.caption(f"{len(ch)} 项指标有多个年份的数据")
        for n, r in enumerate(ch.to_dict("records")):
            with st.container(border=True):
                c1, c2 = st.columns([1, 2])
                pct = r["pct_change"]
                delta = fmt.signed(r["change"], r["unit"]) + (
                    f"（{'+' if pct >= 0 else '−'}{abs(pct):.1f}%）" if pd.notna(pct) else ""
                )
                c1.metric(
                    ui.text(f"{r['indicator']}（{r['section']}，{r['from_year']}→{r['to_year']}）"),
                    fmt.figure(r["to_value"], r["unit"]),
                    delta=delta,
                    delta_color="off",
                    # fmt.signed writes "−" (U+2212), which st.metric does not read as negative
                    delta_arrow="down" if r["change"] < 0 else "up" if r["change"] > 0 else "off",
                )
                with c2:
                    ui.chart(ui.trend_spec(b, tuple(r["ids"])), key=f"trend-{n}")
