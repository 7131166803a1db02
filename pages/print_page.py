"""打印版: the overview or one section laid out for A4 — figures, every chart and the full table."""

import streamlit as st

from townboard import fmt, ui

state = ui.current()
b = state.bundle
choices = ["总览"] + list(b.sections["section"])
part = st.selectbox("打印内容", choices, key="part", bind="query-params")
st.caption("在浏览器中按 Ctrl+P 打印（纸张 A4）；侧边栏和按钮不会打印。")

if part == "总览":
    st.title("铁石口镇2020年工作成效")
    for sec in b.sections.to_dict("records"):
        rows = b.indicators.loc[b.indicators["section"] == sec["section"]]
        with st.container(border=True):
            st.subheader(f"{sec['order']}. {sec['section']}：{sec['heading']}")
            for row in ui.headline_rows(rows, 6).to_dict("records"):
                st.markdown(
                    f"- **{ui.text(fmt.row_figure(row))}**　{ui.text(row['indicator'])}（原文：{ui.text(row['source'])}）"
                )
else:
    sec = b.sections.loc[b.sections["section"] == part].iloc[0]
    rows = b.indicators.loc[b.indicators["section"] == part]
    year = ui.latest_year(rows)
    st.title(f"{sec['order']}. {part}")
    st.subheader(sec["heading"])
    for topic, blocks in ui.section_view(b, part, year):
        st.markdown(f"#### {ui.text(topic)}")
        ui.render_blocks(blocks, key_prefix=f"print-{part}-{topic}")
    st.markdown("#### 全部指标与原文")
    table = ui.figures_table(rows.loc[rows["year"] == year] if year is not None else rows)
    st.table(table.astype(str).map(ui.literal))  # st.table renders Markdown in cells: data as text
st.caption(f"数据来源：《铁石口镇2020年工作总结和2021年工作打算》 · 数据载入于 {b.loaded_at}")
