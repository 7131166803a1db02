"""板块: one template for all seven sections (dashboard.py registers it once per section)."""

import streamlit as st

from townboard import export, ui

state = ui.current()
b = state.bundle
name = st.session_state.get("_section") or b.sections["section"].iloc[0]
sec = b.sections.loc[b.sections["section"] == name].iloc[0]
rows_all = b.indicators.loc[b.indicators["section"] == name]

st.title(f"{sec['order']}. {name}")
st.subheader(sec["heading"])
if sec["summary"]:
    st.text(sec["summary"])

years = sorted({int(y) for y in rows_all["year"].dropna()}, reverse=True)
year = years[0] if years else None
if len(years) > 1:
    year = st.segmented_control("年份", years, default=years[0], key="year", required=True, bind="query-params")
rows = rows_all.loc[rows_all["year"] == year] if year is not None else rows_all
st.caption(f"共 {len(rows)} 项指标 · 图中每个标记的提示框显示指标、数值、时段、范围和报告原文")

for topic, blocks in ui.section_view(b, name, year):
    with st.container(border=True):
        st.markdown(f"#### {ui.text(topic)}")
        ui.render_blocks(blocks, key_prefix=f"{name}-{topic}")

st.header("全部指标与原文")
table = ui.figures_table(rows)
st.dataframe(table, hide_index=True, width="stretch")
c1, c2 = st.columns(2)
c1.download_button(
    "下载表格（CSV，Excel 可直接打开）",
    ui.cached_file(b, ("section-csv", name, year), lambda: export.to_csv_bytes(table)),
    file_name=f"{name}_指标.csv",
    mime="text/csv",
    icon=":material/download:",
    key=f"csv-{name}",
)
c2.download_button(
    "下载表格（Excel .xlsx）",
    ui.cached_file(b, ("section-xlsx", name, year), lambda: export.to_xlsx_bytes({name: table})),
    file_name=f"{name}_指标.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    key=f"xlsx-{name}",
)
