"""搜索: one box over figures, goals, problems and the report's sentences; the query lives in ?q=."""

import streamlit as st

from townboard import search, ui

state = ui.current()
st.title("搜索")
query = st.text_input(
    "输入关键词（多个词用空格分开，须同时出现）",
    key="q",
    bind="query-params",
    placeholder="如：低保、光伏 分红、537",
    icon=":material/search:",
)
if not query or not query.strip():
    st.info(
        "输入关键词即可查找报告中的任何数字、2021年目标、存在的问题和原文句子。例如：低保、光伏、空心房、537。",
        icon=":material/lightbulb:",
    )
    st.stop()

index = ui.search_index(state)
first = search.search(index, query)
sec_opts = sorted(first.section_counts, key=lambda s: -first.section_counts[s])
unit_opts = sorted(first.unit_counts, key=lambda u: -first.unit_counts[u])
c1, c2 = st.columns(2)
chosen_sections = c1.multiselect(
    "按板块筛选", sec_opts, format_func=lambda s: f"{s}（{first.section_counts[s]}）", key="search_sections"
)
chosen_units = c2.multiselect(
    "按单位筛选", unit_opts, format_func=lambda u: f"{u}（{first.unit_counts[u]}）", key="search_units"
)
result = search.search(index, query, chosen_sections, chosen_units) if (chosen_sections or chosen_units) else first

if result.hits.empty:
    st.warning(
        f"没有找到同时包含“{'”“'.join(result.terms)}”的内容。可以减少关键词，或换一个说法（如“低保”而不是“最低生活保障”）。",
        icon=":material/search_off:",
    )
    st.stop()

counts = result.hits["kind"].value_counts()
st.success("共找到 " + "，".join(f"{k} {counts[k]} 条" for k in search.KINDS if k in counts), icon=":material/check:")
pages = ui.section_pages()
for kind in search.KINDS:
    hits = result.hits.loc[result.hits["kind"] == kind]
    if hits.empty:
        continue
    st.subheader(f"{kind}（{len(hits)}）")
    for hit in hits.head(200).to_dict("records"):
        with st.container(border=True):
            st.markdown(search.highlighted_markdown(hit["title"], result.terms) if hit["title"] else "")
            st.markdown("原文：" + search.highlighted_markdown(hit["text"], result.terms))
            meta = [x for x in (hit["ref"], hit["section"], hit["year"]) if x]
            st.caption(" · ".join(meta))
            if hit["section"] in pages:
                st.page_link(
                    pages[hit["section"]], label=f"打开“{hit['section']}”板块", icon=":material/arrow_forward:"
                )
    if len(hits) > 200:
        st.caption(f"只显示前 200 条，请增加关键词缩小范围（共 {len(hits)} 条）。")
