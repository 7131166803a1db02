"""2021目标: where each task of the 2021 plan stands, what is late, and updating it (with password)."""

import streamlit as st

from townboard import goals, schema, store, ui

state = ui.current()
b = state.bundle
g_all = b.goals
st.title("2021年目标跟踪")
st.caption("《2021年工作打算》中的一条主线、两个重点、三个导向、四个意识及其下每项具体任务。")

# --- roll-ups and alerts, on the whole plan
late = goals.overdue(g_all)
soon = goals.due_soon(g_all)
if not late.empty:
    st.error(
        f"有 {len(late)} 项任务已超过完成时限且未完成："
        + "、".join(ui.text(t) for t in late["task"].head(5))
        + ("等" if len(late) > 5 else ""),
        icon=":material/alarm:",
    )
    st.dataframe(
        late.assign(逾期=late["逾期天数"].map(lambda d: f"逾期 {d} 天"))[
            ["id", "task", "owner", "due", "status", "逾期"]
        ].rename(columns={"id": "编号", "task": "任务", "owner": "责任人", "due": "完成时限", "status": "状态"}),
        hide_index=True,
        width="stretch",
    )
if not soon.empty:
    st.warning(
        f"未来 30 天内到期的任务 {len(soon)} 项："
        + "、".join(f"{ui.text(r['task'])}（{r['due']}）" for r in soon.head(10).to_dict("records")),
        icon=":material/schedule:",
    )

ui.goal_metrics(g_all)

# --- filters (kept in the URL)
f1, f2, f3, f4 = st.columns(4)
groups = f1.multiselect("类别", list(schema.GOAL_GROUPS), key="group", bind="query-params")
statuses = f2.multiselect("状态", list(schema.GOAL_STATUSES), key="status", bind="query-params")
owners = f3.multiselect("责任人", sorted(o for o in set(g_all["owner"]) if o), key="owner", bind="query-params")
sections = f4.multiselect("对应2020板块", list(b.sections["section"]), key="gsec", bind="query-params")
g = goals.filter_goals(g_all, groups, statuses, owners, sections)
st.caption(f"筛选结果：{len(g)} 项任务")

c1, c2 = st.columns(2)
with c1:
    ui.chart(ui.progress_spec(b, g, "group"), key="progress-group")
with c2:
    ui.chart(ui.progress_spec(b, g, "theme"), key="progress-theme")

st.subheader("任务一览")
st.dataframe(ui.goals_table(g), hide_index=True, width="stretch", column_config=ui.GOALS_TABLE_CONFIG)

# --- the goals, grouped by 类别 and 方向; details folded unless the list is filtered
filtered = bool(groups or statuses or owners or sections)
for group in schema.GOAL_GROUPS:
    in_group = g.loc[g["group"] == group]
    if in_group.empty:
        continue
    st.header(group)
    for theme, rows in in_group.groupby("theme", sort=False):
        st.subheader(theme)
        with st.expander(
            f"{len(rows)} 项任务 · 平均进度 {goals.fmt_progress(goals.average_progress(rows))}", expanded=filtered
        ):
            for goal in rows.to_dict("records"):
                ui.goal_card(goal, b)

# --- updating
st.header("更新任务进展")
ui.saved_message()
editing = ui.admin_panel("goals")
if editing:
    ui.goal_edit_form(state)

# --- history
st.header("更新记录")
history = store.read_history(state.data_dir)
if history.empty:
    st.caption("还没有通过看板保存的更新。")
else:
    curve = goals.progress_over_time(history, g_all)
    if len(curve) > 1:
        ui.chart(ui.history_spec(curve), key="history-chart")
    pick = st.selectbox(
        "查看某项任务的更新记录", ["全部"] + list(dict.fromkeys(history["goal_id"][::-1])), key="history_goal"
    )
    shown = history if pick == "全部" else history.loc[history["goal_id"] == pick]
    labels = {c: schema.column(schema.GOALS, c).alias for c in goals.EDITABLE} | {"updated": "更新日期"}
    st.dataframe(
        shown.iloc[::-1]
        .assign(field=shown["field"].iloc[::-1].map(lambda f: labels.get(f, f)))
        .rename(
            columns={
                "timestamp": "时间",
                "goal_id": "编号",
                "field": "字段",
                "old": "原值",
                "new": "新值",
                "who": "更新人",
            }
        ),
        hide_index=True,
        width="stretch",
    )
