"""铁石口镇 2020 工作成效看板 — entry: page config, navigation, shared sidebar and data banner."""

import streamlit as st

from townboard import ui

# A local favicon: a Material or emoji page icon makes every page load fetch it from the internet.
st.set_page_config(page_title="铁石口镇工作成效看板", page_icon=str(ui.ASSETS / "favicon.png"), layout="wide")

state = ui.data_state()
st.session_state["_data_state"] = state
sections = list(state.bundle.sections["section"]) if state.bundle is not None else []

overview = st.Page(
    "pages/overview_page.py", title="总览", icon=":material/dashboard:", url_path=ui.PAGE_OVERVIEW, default=True
)
section_pages = {
    name: st.Page("pages/section_page.py", title=name, icon=":material/insert_chart:", url_path=name.replace("/", "-"))
    for name in sections
}
search = st.Page("pages/search_page.py", title="搜索", icon=":material/search:", url_path=ui.PAGE_SEARCH)
goals = st.Page("pages/goals_page.py", title="2021目标", icon=":material/flag:", url_path=ui.PAGE_GOALS)
compare = st.Page("pages/compare_page.py", title="对比分析", icon=":material/compare_arrows:", url_path=ui.PAGE_COMPARE)
present = st.Page("pages/present_page.py", title="演示模式", icon=":material/slideshow:", url_path=ui.PAGE_PRESENT)
printable = st.Page("pages/print_page.py", title="打印版", icon=":material/print:", url_path=ui.PAGE_PRINT)
data = st.Page("pages/data_page.py", title="数据管理", icon=":material/database:", url_path=ui.PAGE_DATA)

st.session_state["_section_pages"] = section_pages
st.session_state["_pages"] = {
    p.url_path: p for p in (overview, search, goals, compare, present, printable, data, *section_pages.values())
}

presenting = st.query_params.get("present") == "1"
ui.static_css(ui.PRINT_CSS)
pg = st.navigation(
    {
        "总览": [overview],
        "2020年七大板块": list(section_pages.values()),
        "查询与分析": [search, compare, goals],
        "会议与数据": [present, printable, data],
    },
    position="hidden" if presenting else "sidebar",
    expanded=True,
)
st.session_state["_section"] = next((n for n, p in section_pages.items() if p.url_path == pg.url_path), None)

if not presenting:
    ui.sidebar(state)
    ui.follow_sidebar_search(search)
ui.error_banner(state)
if state.bundle is None and pg.url_path != ui.PAGE_DATA:
    st.info("数据管理页面可以上传改正后的文件。", icon=":material/info:")
    st.page_link(data, label="前往数据管理", icon=":material/database:")
    st.stop()
pg.run()
