"""Small shared Streamlit pieces: the cached loader with last-good fallback, sidebar, banners, cards.

The only module of townboard/ that imports streamlit besides the page files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from townboard import charts, fmt, schema
from townboard.data import DEFAULT_DATA_DIR, Bundle, data_dir_from_env, data_version, load
from townboard.search import build_index, load_report

ASSETS = Path(__file__).resolve().parent.parent / "assets"

PAGE_OVERVIEW = "overview"
PAGE_SEARCH = "search"
PAGE_GOALS = "goals"
PAGE_COMPARE = "compare"
PAGE_DATA = "data"
PAGE_PRESENT = "present"
PAGE_PRINT = "print"


# ---------------------------------------------------------------- data with last-good fallback


@st.cache_resource(show_spinner=False, max_entries=16)
def _load(data_dir: str, version: str) -> Bundle:
    # cache_resource, not cache_data: a Bundle is shared read-only, never copied per rerun
    del version  # part of the cache key only: any file's mtime or size change gives a new key
    return load(Path(data_dir))


@st.cache_resource(show_spinner=False)
def _last_good() -> dict[str, Bundle]:
    """data folder -> the last bundle that passed validation (shared by all sessions)."""
    return {}


@dataclass
class DataState:
    bundle: Bundle | None  # what pages show: the newest valid data, or the last good one
    failed: Bundle | None  # the newest data when it did not validate
    data_dir: Path


def data_state() -> DataState:
    data_dir = data_dir_from_env()
    bundle = _load(str(data_dir), data_version(data_dir))
    good = _last_good()
    key = str(data_dir)
    if bundle.ok:
        previous = good.get(key)
        if previous is not bundle:
            good[key] = bundle
            _note_new_data(previous, bundle)
        return DataState(bundle, None, data_dir)
    return DataState(good.get(key), bundle, data_dir)


def _note_new_data(previous: Bundle | None, bundle: Bundle) -> None:
    """Toast once per session when data newer than what this session saw was picked up."""
    seen = st.session_state.get("_seen_version")
    st.session_state["_seen_version"] = bundle.version
    if seen is None or seen == bundle.version or previous is None:
        return
    from townboard.diff import changed_rows

    n = sum(changed_rows(previous.table(k), bundle.table(k)) for k in schema.FILE_KINDS)
    st.toast(f"已载入新数据：{n} 行有变化", icon="🔄")


def reload_data() -> None:
    """on_click of 重新加载数据: runs before the run the click starts, so no st.rerun() is needed.

    A toast followed by st.rerun() in the same run crashed the page in Chromium now and then
    ("Bad delta path index 2", blank page), so the toast comes in the next run instead."""
    _load.clear()
    st.session_state["_reloaded"] = True


@st.cache_resource(show_spinner=False, max_entries=8)
def _search_index(version: str, data_dir: str, _bundle: Bundle) -> pd.DataFrame:
    report = load_report(Path(data_dir)) or load_report(DEFAULT_DATA_DIR)
    return build_index(_bundle, report)


def search_index(state: DataState) -> pd.DataFrame:
    return _search_index(state.bundle.version, str(state.data_dir), state.bundle)


# ---------------------------------------------------------------- banners and status


def issues_table(issues) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "文件": [i.file for i in issues],
            "行": [i.row if i.row is not None else "" for i in issues],
            "列": [i.column or "" for i in issues],
            "当前值": [i.value if i.value is not None else "" for i in issues],
            "问题与要求": [i.message for i in issues],
        }
    ).astype(str)


def error_banner(state: DataState) -> None:
    """On every page when the newest data did not validate."""
    failed = state.failed
    if failed is None:
        return
    errors = failed.errors
    files = "、".join(dict.fromkeys(i.file for i in errors))
    if state.bundle is not None:
        st.error(
            f"数据文件有 {len(errors)} 处错误（{files}），新数据未载入。"
            f"页面仍显示 {state.bundle.loaded_at} 载入的上一版有效数据。改正文件并保存后，点“重新加载数据”即可。",
            icon="⚠️",
        )
    else:
        st.error(
            f"数据文件有 {len(errors)} 处错误（{files}），看板无法显示数据。请按下表改正后点“重新加载数据”。", icon="⚠️"
        )
    with st.expander(f"查看全部 {len(errors)} 处错误", expanded=state.bundle is None):
        st.dataframe(issues_table(errors), hide_index=True, width="stretch")


def sidebar(state: DataState) -> None:
    with st.sidebar:
        st.text_input(
            "搜索指标、目标、原文",
            key="sidebar_q",
            placeholder="如：低保、光伏、537",
            on_change=_go_search,
            icon=":material/search:",
        )
        st.button("重新加载数据", icon=":material/refresh:", width="stretch", key="reload", on_click=reload_data)
        if st.session_state.pop("_reloaded", False):
            st.toast("已重新读取数据文件", icon="🔄")
        bundle = state.bundle or state.failed
        with st.expander("数据状态", expanded=False):
            if state.failed is not None:
                st.error("最新数据未通过校验", icon="⚠️")
            for kind in schema.FILE_KINDS:
                info = bundle.files.get(kind) if bundle else None
                if info is None or info.path is None:
                    st.caption(f"{schema.FILE_LABELS[kind]}：缺少文件")
                    continue
                st.caption(f"**{info.name}** · {info.rows} 行 · 修改于 {info.modified}")
            if state.bundle is not None:
                st.caption(f"显示的数据载入于 {state.bundle.loaded_at}")


def _go_search() -> None:
    st.session_state["q"] = st.session_state.get("sidebar_q", "")
    st.session_state["_goto_search"] = True
    # Empty the sidebar box: the query now lives in the search page's own box and in ?q=.
    st.session_state["sidebar_q"] = ""


def follow_sidebar_search(search_page) -> None:
    if st.session_state.pop("_goto_search", False):
        # The query goes into the URL too: the frontend does not write a bound widget's value
        # set through session_state before the widget exists, so the link would lack ?q=.
        q = st.session_state.get("q", "")
        st.switch_page(search_page, query_params={"q": q} if q else None)


# ---------------------------------------------------------------- figures


def metric_card(row: dict, link_page=None, help_text: str | None = None) -> None:
    """A figure as a metric card: value with unit and qualifier; source clause in the help tip."""
    label = fmt.label(row["indicator"], row.get("scope", ""))
    extra = " · ".join(x for x in (row.get("period"), row.get("scope")) if x)
    st.metric(
        text(label),
        fmt.row_figure(row),
        help=help_text or f"原文：{literal(row['source'])}" + (f"\n\n{literal(extra)}" if extra else ""),
        border=True,
    )
    if link_page is not None:
        st.page_link(link_page, label=f"查看“{row['section']}”板块", icon=":material/arrow_forward:")


def render_blocks(blocks: list[charts.Block], key_prefix: str) -> None:
    for n, block in enumerate(blocks):
        if block.kind == "metrics":
            rows = block.rows.to_dict("records")
            for start in range(0, len(rows), 4):
                cols = st.columns(4)
                for col, row in zip(cols, rows[start : start + 4]):
                    with col:
                        metric_card(row)
        else:
            if block.title:
                st.caption(text(block.title))
            st.vega_lite_chart(spec=block.spec, width="stretch", key=f"{key_prefix}-{n}")


_FIGURE_COLUMNS = ("value", "unit", "qualifier", "value_text")  # what fmt.row_figure reads


def figures_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The table under a section's charts: every figure with its source (Chinese headings)."""
    return pd.DataFrame(
        {
            "编号": rows["id"],
            "年份": rows["year"].astype("Int64"),
            "专题": rows["topic"],
            "指标": rows["indicator"],
            "数值": [fmt.row_figure(r) for r in rows[[c for c in _FIGURE_COLUMNS if c in rows]].to_dict("records")],
            "时段": rows["period"].where(rows["period"] != "", "全年"),
            "范围": rows["scope"].where(rows["scope"] != "", "全镇"),
            "原文": rows["source"],
            "备注": rows["note"],
        }
    )


@st.cache_resource(show_spinner=False, max_entries=64)
def _file_bytes(version: str, key: tuple, _make) -> bytes:
    return _make()


def cached_file(bundle: Bundle, key: tuple, make) -> bytes:
    """Bytes of a download made once per data version (an .xlsx takes openpyxl a while, and
    download buttons are built on every rerun)."""
    return _file_bytes(bundle.version, key, make)


def chart(spec: dict, key: str) -> None:
    st.vega_lite_chart(spec=spec, width="stretch", key=key)


# ---------------------------------------------------------------- per-version caches of chart specs


def _arrow_spec(spec: dict) -> dict:
    """The spec with its inline datasets already as Arrow IPC bytes, for the per-version caches.

    st.vega_lite_chart converts every list-of-rows dataset of a spec to Arrow on every rerun (the
    bulk of a chart's cost once the spec itself is cached); given bytes it passes them on as they
    are. The bytes are made by the same Streamlit function, so the browser gets the same chart.
    """
    datasets = spec.get("datasets")
    if not isinstance(datasets, dict) or not datasets:
        return spec
    try:
        from streamlit import dataframe_util

        converted = {
            name: values if isinstance(values, bytes) else dataframe_util.convert_anything_to_arrow_bytes(values)
            for name, values in datasets.items()
        }
    except Exception:  # noqa: BLE001 - an unexpected dataset shape: leave it to Streamlit
        return spec
    return {**spec, "datasets": converted}


def headline_rows(rows: pd.DataFrame, limit: int = 3) -> pd.DataFrame:
    """The most telling figures of a section: by the `highlight` column, else the first rows."""
    # = rows.loc[highlighted].sort_values("highlight", kind="stable").head(limit), in one take
    hl = rows["highlight"]
    mask = hl.notna().to_numpy()
    if not mask.any():
        return rows.head(limit)
    pos = np.flatnonzero(mask)
    order = pos[np.argsort(hl.to_numpy(dtype=float, na_value=np.nan)[pos], kind="stable")]
    return rows.iloc[order[:limit]]


def latest_year(rows: pd.DataFrame) -> int | None:
    latest = rows["year"].max()  # skips missing years; NA when there is none
    return int(latest) if pd.notna(latest) else None


@st.cache_resource(show_spinner=False, max_entries=64)
def _section_view(
    version: str, section: str, year: int | None, _bundle: Bundle
) -> list[tuple[str, list[charts.Block]]]:
    ind = _bundle.indicators
    rows = ind.loc[(ind["section"] == section) & ((ind["year"] == year) if year is not None else True)]
    out = []
    for topic, group in rows.groupby("topic", sort=False):
        blocks = charts.topic_blocks(group)
        for b in blocks:
            c = charts.block_chart(b)
            if c is not None:
                b.spec = _arrow_spec(charts.to_spec(c))
        out.append((str(topic), blocks))
    return out


def section_view(bundle: Bundle, section: str, year: int | None) -> list[tuple[str, list[charts.Block]]]:
    """[(topic, blocks with chart specs)] for a section page; built once per data version."""
    return _section_view(bundle.version, section, year, bundle)


@st.cache_resource(show_spinner=False, max_entries=16)
def _mini_specs(version: str, _bundle: Bundle) -> dict[str, dict]:
    out = {}
    ind = _bundle.indicators
    for section in _bundle.sections["section"]:
        rows = ind.loc[ind["section"] == section]
        year = latest_year(rows)
        c = charts.mini_chart(rows.loc[rows["year"] == year]) if year is not None else None
        if c is not None:
            out[section] = _arrow_spec(charts.to_spec(c))
    return out


def mini_specs(bundle: Bundle) -> dict[str, dict]:
    return _mini_specs(bundle.version, bundle)


def current() -> DataState:
    """The data state dashboard.py computed for this run (computed here when a page runs alone)."""
    state = st.session_state.get("_data_state")
    return state if state is not None else data_state()


def section_pages() -> dict:
    """section name -> its st.Page, registered by dashboard.py for links between pages."""
    return st.session_state.get("_section_pages", {})


def page(url_path: str):
    return st.session_state.get("_pages", {}).get(url_path)


def text(value) -> str:
    """Data text made safe for st.markdown (every Markdown/HTML character escaped)."""
    from townboard.search import escape_markdown

    return escape_markdown(str(value))


_LITERAL = re.compile(r"([\\`*_\[\]<>&])")


def literal(value) -> str:
    """Data text for Markdown places that should read exactly as typed (help tips, st.table cells):
    what could start HTML, a link, code or emphasis is escaped; digits, dots and dashes stay as they are."""
    return _LITERAL.sub(r"\\\1", str(value)).replace("\n", " ")


def deck_button(state: DataState, key: str) -> None:
    """Build the PPT deck from the current data, with progress, then offer the download."""
    from townboard import deck

    if st.button("生成汇报PPT", icon=":material/slideshow:", key=f"{key}-build"):
        bar = st.progress(0, text="正在生成汇报PPT…")
        data = deck.build_deck(state.bundle, progress=lambda f, msg: bar.progress(f, text=msg))
        bar.empty()
        st.session_state[f"{key}-bytes"] = data
    data = st.session_state.get(f"{key}-bytes")
    if data:
        st.download_button(
            "下载汇报PPT（.pptx）",
            data,
            file_name="铁石口镇2020年工作成效汇报.pptx",
            mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
            icon=":material/download:",
            key=f"{key}-download",
        )


@st.cache_resource(show_spinner=False, max_entries=256)
def _bar_spec(version: str, ids: tuple[str, ...], kind: str, _bundle: Bundle) -> dict:
    return _chart_spec(_bundle, ids, kind)


def _chart_spec(bundle: Bundle, ids: tuple[str, ...], kind: str) -> dict:
    ind = bundle.indicators
    rows = ind.set_index("id", drop=False).loc[list(ids)]
    chart_ = charts.bar_chart(rows) if kind == "bar" else charts.trend_chart(rows)
    return _arrow_spec(charts.to_spec(chart_))


@st.cache_resource(show_spinner=False, max_entries=8)
def _trend_specs(version: str, bundle_id: int) -> dict[tuple[str, ...], dict]:
    """ids -> trend chart spec, for one data version. A dict, not a bounded cache: the 跨年度变化
    tab draws one chart per multi-year series, and with more series than a bounded cache holds
    (256), every rerun rebuilt every chart (about 1 000 altair specs at 10 000 rows)."""
    return {}


def bar_spec(bundle: Bundle, ids: tuple[str, ...]) -> dict:
    """Cached spec of a same-unit bar chart of the given indicator ids."""
    return _bar_spec(bundle.version, ids, "bar", bundle)


def trend_spec(bundle: Bundle, ids: tuple[str, ...]) -> dict:
    specs = _trend_specs(bundle.version, id(bundle))
    spec = specs.get(ids)
    if spec is None:
        spec = specs[ids] = _chart_spec(bundle, ids, "trend")
    return spec


# ---------------------------------------------------------------- admin password (per browser session)


def admin_password() -> str | None:
    from townboard import auth

    return auth.configured_password(st.secrets)


def is_admin() -> bool:
    return bool(st.session_state.get("_admin")) and admin_password() is not None


def admin_panel(key: str) -> bool:
    """Unlock form, or the 退出编辑 button when unlocked. Returns whether editing is allowed."""
    from townboard import auth

    expected = admin_password()
    if expected is None:
        st.info(auth.HOW_TO_SET, icon=":material/lock:")
        return False
    if is_admin():
        c1, c2 = st.columns([4, 1])
        c1.success("已进入编辑模式（仅对本浏览器有效）", icon=":material/lock_open:")
        if c2.button("退出编辑", key=f"{key}-logout", icon=":material/logout:"):
            st.session_state["_admin"] = False
            st.rerun()
        return True
    with st.form(f"{key}-login", border=True):
        st.caption("修改数据需要管理员密码")
        given = st.text_input("管理员密码", type="password", key=f"{key}-password")
        if st.form_submit_button("进入编辑", icon=":material/lock_open:"):
            if auth.check_password(given, expected):
                st.session_state["_admin"] = True
                st.rerun()
            else:
                st.error("密码不正确", icon=":material/error:")
    return False


# ---------------------------------------------------------------- 2021 goals


STATUS_COLOURS = {"已完成": "green", "进行中": "blue", "未开始": "gray", "滞后": "red"}


def progress_spec(bundle: Bundle, goals_df: pd.DataFrame, by: str) -> dict:
    from townboard import goals

    data = goals.rollup(goals_df, by)
    title = "各类别平均进度" if by == "group" else "各方向平均进度"
    return _cached_goal_spec(bundle.version, tuple(goals_df["id"]), by, title, data)


@st.cache_resource(show_spinner=False, max_entries=64)
def _cached_goal_spec(version: str, ids: tuple, by: str, title: str, _data: pd.DataFrame) -> dict:
    label = schema.column(schema.GOALS, by).alias
    return _arrow_spec(charts.to_spec(charts.progress_chart(_data, label, title)))


def history_spec(curve: pd.DataFrame) -> dict:
    # keyed on the curve's values (the only input): an altair spec costs 25-55 ms to build
    key = tuple(zip(curve["时间"].astype(str), curve["平均进度"].astype(float)))
    return _history_spec(key, curve)


@st.cache_resource(show_spinner=False, max_entries=16)
def _history_spec(key: tuple, _curve: pd.DataFrame) -> dict:
    return _arrow_spec(charts.to_spec(charts.history_chart(_curve, "全部任务平均进度变化")))


def goal_metrics(goals_df: pd.DataFrame) -> None:
    """Task counts per status and the average progress, as a row of metric cards."""
    from townboard import goals

    counts = goals.status_counts(goals_df)
    cols = st.columns(len(counts) + 1)
    for col, (status, n) in zip(cols, counts.items()):
        col.metric(status, f"{n} 项")
    cols[-1].metric("平均进度", goals.fmt_progress(goals.average_progress(goals_df)))


GOALS_TABLE_CONFIG = {
    "进度": st.column_config.ProgressColumn("进度", min_value=0, max_value=100, format="%d%%"),
}


def goals_table(goals_df: pd.DataFrame) -> pd.DataFrame:
    """One line per goal for the tracker's overview table."""
    return pd.DataFrame(
        {
            "编号": goals_df["id"],
            "类别": goals_df["group"],
            "任务": goals_df["task"],
            "状态": goals_df["status"],
            "进度": goals_df["progress"].astype(float),
            "责任人": goals_df["owner"],
            "完成时限": goals_df["due"],
            "对应板块": goals_df["section"],
        }
    )


def _links_of(goal: dict, indicators: pd.DataFrame, problems: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """(baseline indicator rows, problems it answers) of a goal, as records."""
    from townboard import goals

    base = goals.baseline_rows(goal, indicators).to_dict("records")
    return base, goals.problems_for_goal(goal["id"], problems).to_dict("records")


@st.cache_resource(show_spinner=False, max_entries=8)
def _goal_links(version: str, bundle_id: int, _bundle: Bundle) -> dict[tuple[str, str], tuple[list[dict], list[dict]]]:
    """_links_of for every goal of the bundle, once per data version (71 cards each did two
    pandas look-ups over all indicators on every rerun)."""
    from townboard.validate import split_ids

    ind = _bundle.indicators
    wanted = {i for cell in _bundle.goals["baseline_ids"] for i in split_ids(cell)}
    referenced = ind.loc[ind["id"].isin(list(wanted))] if wanted else ind.iloc[0:0]
    return {
        (g["id"], g.get("baseline_ids", "")): _links_of(g, referenced, _bundle.problems)
        for g in _bundle.goals.to_dict("records")
    }


_last_links: tuple = (None, None, {})  # (version, bundle id, links): one lookup per card is 71 per rerun


def _links_for(bundle: Bundle) -> dict:
    global _last_links
    version, bundle_id, links = _last_links
    if version != bundle.version or bundle_id != id(bundle):
        links = _goal_links(bundle.version, id(bundle), bundle)
        _last_links = (bundle.version, id(bundle), links)
    return links


def goal_card(goal: dict, bundle: Bundle) -> None:
    with st.container(border=True):
        top = st.columns([6, 1])
        top[0].markdown(f"**{text(goal['id'])}　{text(goal['task'])}**")
        with top[1]:
            st.badge(goal["status"], color=STATUS_COLOURS.get(goal["status"], "gray"))
        progress = float(goal["progress"]) if pd.notna(goal["progress"]) else 0.0
        st.progress(min(100, max(0, int(round(progress)))) / 100, text=f"进度 {fmt.percent(progress)}")
        facts = [
            f"责任人：{text(goal['owner']) if goal['owner'] else '未指定'}",
            f"完成时限：{goal['due'] or '未定'}",
        ]
        if pd.notna(goal.get("target")):
            facts.append(f"目标值：{text(fmt.figure(goal['target'], goal['unit']))}")
        if pd.notna(goal.get("actual")):
            facts.append(f"完成值：{text(fmt.figure(goal['actual'], goal['unit']))}")
        if goal.get("updated"):
            facts.append(f"更新于 {goal['updated']}")
        st.caption(" · ".join(facts))
        if goal.get("note"):
            st.text(f"最新进展：{goal['note']}")
        links = _links_for(bundle).get((goal["id"], goal.get("baseline_ids", "")))
        if links is None:  # a goal that is not (or no longer) a row of this bundle
            links = _links_of(goal, bundle.indicators, bundle.problems)
        base, probs = links
        if len(base) or len(probs):
            with st.expander(f"2020年基线 {len(base)} 项" + (f" · 回应问题 {len(probs)} 个" if len(probs) else "")):
                for r in base:
                    st.markdown(
                        f"- **{text(fmt.row_figure(r))}**　{text(r['indicator'])}（{text(r['id'])}）  \n  原文：{text(r['source'])}"
                    )
                for p in probs:
                    st.markdown(f"- 回应问题 **{text(p['problem'])}**")
        st.caption(f"原文：{text(goal['source'])}")


def goal_edit_form(state: DataState) -> None:
    """One form for the chosen goal. The signature of the file as first shown is kept until a
    successful save, so a save over someone else's newer file is refused and the typed values stay."""
    from datetime import date

    from townboard import goals, store

    g = state.bundle.goals
    labels = dict(zip(g["id"], g["id"] + "　" + g["task"]))
    gid = st.selectbox("选择要更新的任务", list(labels), format_func=labels.get, key="edit_goal")
    if gid is None:
        return
    sig_key = f"_edit_sig_{gid}"
    if sig_key not in st.session_state:
        st.session_state[sig_key] = store.signature(state.bundle.files[schema.GOALS].path)
    goal = g.loc[g["id"] == gid].iloc[0]
    k = f"ge_{gid}_"
    defaults = {
        "status": goal["status"],
        "progress": float(goal["progress"]) if pd.notna(goal["progress"]) else 0.0,
        "actual": goal.get("actual_text", "") or "",
        "owner": goal["owner"],
        "due": date.fromisoformat(goal["due"]) if goal["due"] else None,
        "note": goal["note"],
        "who": "",
    }
    for field, value in defaults.items():
        st.session_state.setdefault(k + field, value)
    with st.form(f"goal-form-{gid}"):
        c1, c2 = st.columns(2)
        c1.selectbox("状态", list(schema.GOAL_STATUSES), key=k + "status")
        c2.number_input("进度（0–100）", min_value=0.0, max_value=100.0, step=5.0, key=k + "progress")
        c3, c4 = st.columns(2)
        c3.text_input(f"完成值（{goal['unit'] or '无单位'}）", key=k + "actual")
        c4.text_input("责任人", key=k + "owner")
        c5, c6 = st.columns(2)
        c5.date_input("完成时限", key=k + "due", format="YYYY-MM-DD")
        c6.text_input("更新人（不填则记为“管理员”）", key=k + "who")
        st.text_area("最新进展", key=k + "note")
        submitted = st.form_submit_button("保存", type="primary", icon=":material/save:")
    if not submitted:
        return
    ss = st.session_state
    progress = ss[k + "progress"]
    fields = {
        "status": ss[k + "status"],
        "progress": f"{progress:g}",
        "actual": ss[k + "actual"],
        "owner": ss[k + "owner"],
        "due": ss[k + "due"].isoformat() if ss[k + "due"] else "",
        "note": ss[k + "note"],
    }
    if not is_admin():
        st.error("未登录管理员，不能保存。", icon=":material/lock:")
        return
    try:
        written = store.save_goal_changes(state.data_dir, {gid: fields}, expected=ss[sig_key], who=ss[k + "who"])
    except store.StaleWriteError:
        st.error(
            "保存被拒绝：在您打开此任务之后，别人已经保存过目标文件。您填写的内容仍保留在表单中；"
            "请点“载入最新数据”查看对方的修改，再决定是否保存。",
            icon=":material/sync_problem:",
        )
        if st.button("载入最新数据", key=f"refresh-{gid}"):
            del ss[sig_key]
            st.rerun()
        return
    except store.InvalidDataError as exc:
        st.error("未保存，以下内容不符合要求：", icon=":material/error:")
        for issue in exc.issues:
            st.markdown(
                f"- {text(goals.EDITABLE_LABELS.get(_field_of(issue), issue.column or ''))}：{text(issue.message)}（填写的值：{text(issue.value or '')}）"
            )
        return
    except OSError as exc:
        st.error(f"写入文件失败，原文件未改动：{exc.strerror or exc}", icon=":material/error:")
        return
    del ss[sig_key]
    if written:
        st.session_state["_saved_msg"] = (
            f"已保存 {gid}：修改了 {len(written)} 项（{'、'.join(goals.EDITABLE_LABELS[w['field']] for w in written)}）"
        )
    else:
        st.session_state["_saved_msg"] = "内容没有变化，未写入文件。"
    st.rerun()


def _field_of(issue) -> str:
    return (issue.column or "").split("（")[0]


def saved_message() -> None:
    msg = st.session_state.pop("_saved_msg", None)
    if msg:
        st.success(msg, icon=":material/check_circle:")


# ---------------------------------------------------------------- data management


def file_status_table(state: DataState) -> pd.DataFrame:
    latest = state.failed or state.bundle
    rows = []
    for kind in schema.FILE_KINDS:
        info = latest.files.get(kind) if latest else None
        errors = [i for i in latest.errors if info and i.file == info.name] if latest else []
        rows.append(
            {
                "数据": schema.FILE_LABELS[kind],
                "文件": info.name if info and info.path else f"{kind}.csv（缺失）",
                "行数": info.rows if info and info.path else 0,
                "修改时间": info.modified if info else "—",
                "编码": info.encoding if info else "",
                "校验": f"有 {len(errors)} 处错误" if errors else "通过",
            }
        )
    return pd.DataFrame(rows)


def upload_flow(state: DataState) -> None:
    """Validate an upload -> show the diff -> 确认替换 writes it (atomic, backup, stale check)."""
    from townboard import store
    from townboard.data import find_file, kind_of_file, read_table
    from townboard.diff import diff_frames
    from townboard.validate import validate_candidate

    up = st.file_uploader("选择文件", type=["csv", "xlsx"], key="upload_file")
    if up is None:
        return
    raw = up.getvalue()
    guessed = kind_of_file(Path(up.name))
    kinds = list(schema.FILE_KINDS)
    kind = st.selectbox(
        "替换哪一个数据文件",
        kinds,
        index=kinds.index(guessed) if guessed else None,
        format_func=lambda k: f"{schema.FILE_LABELS[k]}（{k}）",
        key="upload_kind",
    )
    if kind is None:
        st.warning("无法从文件名判断是哪一种数据，请在上面选择。")
        return
    frame, issues, rows = validate_candidate(state.data_dir, kind, Path(up.name), raw)
    errors = [i for i in issues if i.level == "error"]
    if errors:
        st.error(f"上传的文件有 {len(errors)} 处错误，未替换任何文件。请改正后重新上传：", icon=":material/error:")
        st.dataframe(issues_table(errors), hide_index=True, width="stretch")
        return
    current_path, _ = find_file(state.data_dir, kind)
    sig_key = f"_upload_sig_{kind}_{up.file_id}"
    if sig_key not in st.session_state:
        st.session_state[sig_key] = store.signature(current_path) if current_path else ""
    old = read_table(current_path, kind)[0] if current_path else None
    d = diff_frames(old if old is not None else frame.iloc[0:0], frame)
    st.success(
        f"校验通过：{rows} 行。与当前文件相比：新增 {len(d.added)} 行，删除 {len(d.removed)} 行，修改 {d.changed['编号'].nunique()} 行。",
        icon=":material/check:",
    )
    if len(d.changed):
        st.markdown("**修改的内容（原值 → 新值）**")
        st.dataframe(d.changed, hide_index=True, width="stretch")
    if len(d.added):
        st.markdown("**新增的行**")
        st.dataframe(d.added, hide_index=True, width="stretch")
    if len(d.removed):
        st.markdown("**删除的行**")
        st.dataframe(d.removed, hide_index=True, width="stretch")
    if d.total == 0:
        st.info("上传的文件与当前文件内容相同，无需替换。")
        return
    if st.button("确认替换", type="primary", icon=":material/published_with_changes:", key="upload_confirm"):
        if not is_admin():
            st.error("未登录管理员，不能替换文件。")
            return
        try:
            target = store.replace_file(
                state.data_dir, kind, raw, Path(up.name).suffix or ".csv", st.session_state[sig_key]
            )
        except store.StaleWriteError:
            st.error(
                "替换被拒绝：在您上传之后，这个数据文件已被别人修改。请重新上传或刷新页面后再比较。",
                icon=":material/sync_problem:",
            )
            return
        except OSError as exc:
            st.error(f"写入失败，原文件未改动：{exc.strerror or exc}")
            return
        del st.session_state[sig_key]
        st.session_state["_saved_msg"] = f"已替换 {target.name}（{rows} 行），旧文件已备份。"
        st.rerun()


def backups_panel(state: DataState) -> None:
    from townboard import store

    backups = store.list_backups(state.data_dir)
    if backups.empty:
        st.caption("还没有备份。每次保存或替换文件时，旧文件会自动备份到这里。")
        return
    st.dataframe(backups, hide_index=True, width="stretch")
    name = st.selectbox("选择要恢复的备份", list(backups["文件"]), key="restore_pick")
    if st.button("恢复", icon=":material/restore:", key="restore_go"):
        if not is_admin():
            st.error("未登录管理员，不能恢复。")
            return
        try:
            target = store.restore(state.data_dir, name)
        except (OSError, FileNotFoundError) as exc:
            st.error(f"恢复失败：{exc}")
            return
        st.session_state["_saved_msg"] = f"已用备份 {name} 恢复 {target.name}（恢复前的文件也已备份）。"
        st.rerun()


# ---------------------------------------------------------------- presentation and print

# Constant CSS (no data in it): print without the sidebar and toolbar on A4; bigger metric
# numbers in presentation mode so they read from the back of a meeting room.
PRINT_CSS = """<style>
@page { size: A4; margin: 12mm; }
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stSidebarCollapsedControl"], .stButton, .stDownloadButton { display: none !important; }
  [data-testid="stMain"] { overflow: visible !important; }
  [data-testid="stVegaLiteChart"], [data-testid="stVerticalBlockBorderWrapper"] { break-inside: avoid; }
}
</style>"""
PRESENT_CSS = """<style>
[data-testid="stMetricValue"] { font-size: 4.2rem !important; line-height: 1.1 !important; }
[data-testid="stMetricLabel"] p { font-size: 1.5rem !important; }
[data-testid="stHeader"] { display: none !important; }
h1 { font-size: 3.2rem !important; }
h2 { font-size: 2.2rem !important; }
</style>"""


def static_css(css: str) -> None:
    """Inject one of the constant style sheets above (never data)."""
    assert css in (PRINT_CSS, PRESENT_CSS)
    st.html(css)


def slides(bundle: Bundle) -> list[dict]:
    """The presentation: one slide per section, then 2021 goals, then problems."""
    out = [{"kind": "section", "section": s} for s in bundle.sections["section"]]
    out.append({"kind": "goals"})
    out.append({"kind": "problems"})
    return out
