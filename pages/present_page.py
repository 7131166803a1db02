"""演示模式: slides for the projector; ?present=1 hides navigation and sidebar, ?slide=N the slide."""

import streamlit as st

from townboard import fmt, ui

state = ui.current()
b = state.bundle
if st.query_params.get("present") != "1":
    st.query_params["present"] = "1"
    st.rerun()

slides = ui.slides(b)
try:
    n = min(max(1, int(st.query_params.get("slide", "1"))), len(slides))
except ValueError:
    n = 1
ui.static_css(ui.PRESENT_CSS)
slide = slides[n - 1]

if slide["kind"] == "section":
    name = slide["section"]
    sec = b.sections.loc[b.sections["section"] == name].iloc[0]
    rows = b.indicators.loc[b.indicators["section"] == name]
    year = ui.latest_year(rows)
    rows = rows.loc[rows["year"] == year] if year is not None else rows
    st.title(f"{sec['order']}. {name}")
    st.header(sec["heading"])
    figures = ui.headline_rows(rows, 6).to_dict("records")
    for start in range(0, len(figures), 3):
        for col, row in zip(st.columns(3), figures[start : start + 3]):
            col.metric(
                ui.text(fmt.label(row["indicator"], row["scope"])),
                fmt.row_figure(row),
                help=f"原文：{ui.literal(row['source'])}",
            )
    spec = ui.mini_specs(b).get(name)
    if spec:
        ui.chart(spec, key=f"slide-chart-{n}")
elif slide["kind"] == "goals":
    st.title("2021年目标进展")
    ui.goal_metrics(b.goals)
    ui.chart(ui.progress_spec(b, b.goals, "group"), key="slide-goals")
else:
    st.title("存在的问题")
    for p in b.problems.to_dict("records"):
        st.header(ui.text(p["problem"]))
        st.text(p["detail"])

st.divider()
prev_col, counter, next_col, exit_col, deck_col = st.columns([1, 1, 1, 1, 2])
if prev_col.button("上一页", icon=":material/arrow_back:", disabled=n <= 1, width="stretch", key="prev"):
    st.query_params["slide"] = str(n - 1)
    st.rerun()
counter.markdown(f"### {n} / {len(slides)}")
if next_col.button(
    "下一页", icon=":material/arrow_forward:", disabled=n >= len(slides), width="stretch", type="primary", key="next"
):
    st.query_params["slide"] = str(n + 1)
    st.rerun()
if exit_col.button("退出演示", icon=":material/close:", width="stretch", key="exit"):
    st.query_params.clear()
    st.switch_page(ui.page(ui.PAGE_OVERVIEW))
with deck_col:
    ui.deck_button(state, key="deck-present")
