"""总览: headline figures per section, the three problems, 2021 goal progress, a compact chart each."""

import streamlit as st

from townboard import goals, ui

state = ui.current()
b = state.bundle
ind = b.indicators

st.title("铁石口镇2020年工作成效看板")
st.caption(
    "数据来源：《铁石口镇2020年工作总结和2021年工作打算》。每个数字都可追溯到报告原文：把鼠标移到数字旁的问号上即可看到原文。"
)

years = sorted({int(y) for y in ind["year"].dropna()})
c1, c2, c3, c4 = st.columns(4)
c1.metric("2020年工作板块", f"{len(b.sections)} 个")
c2.metric("收录指标", f"{len(ind)} 项", help="年份：" + "、".join(map(str, years)))
c3.metric("2021年目标任务", f"{len(b.goals)} 项")
c4.metric("存在的问题", f"{len(b.problems)} 个")

ui.deck_button(state, key="deck-overview")

st.header("各板块重点指标")
minis = ui.mini_specs(b)
for sec in b.sections.to_dict("records"):
    name = sec["section"]
    rows = ind.loc[ind["section"] == name]
    year = ui.latest_year(rows)
    rows = rows.loc[rows["year"] == year] if year is not None else rows
    with st.container(border=True):
        st.subheader(f"{sec['order']}. {name}")
        st.caption(sec["heading"])
        cards = ui.headline_rows(rows, 3).to_dict("records")
        for col, row in zip(st.columns(3), cards):
            with col:
                ui.metric_card(row)
        if name in minis:
            ui.chart(minis[name], key=f"mini-{name}")
        st.page_link(
            ui.section_pages()[name], label=f"查看“{name}”全部 {len(rows)} 项指标", icon=":material/arrow_forward:"
        )

st.header("存在的问题")
for p in b.problems.to_dict("records"):
    with st.container(border=True):
        st.markdown(f"**{ui.text(p['id'])}　{ui.text(p['problem'])}**")
        st.text(p["detail"])
        ids = goals.split_ids(p["goal_ids"])
        if ids:
            st.caption(f"对应2021年目标 {len(ids)} 项：" + "、".join(ids))

st.header("2021年目标进度")
ui.goal_metrics(b.goals)
st.page_link(ui.page(ui.PAGE_GOALS), label="打开2021目标跟踪", icon=":material/flag:")
