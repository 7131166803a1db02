"""2021 goals: roll-ups, overdue/due-soon alerts, filters, and updating a goal safely.

Unit tests of townboard.goals on a fixture plan; AppTest of the 2021目标 page (read-only, locked,
unlocked, saving through the form); and the save path townboard.store.save_goal_changes itself:
what is written, what is refused, and that nothing is lost when a write fails.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import SHIPPED, assert_no_exception, new_app, texts
from streamlit.util import calc_hash

from townboard import goals, schema, store
from townboard.data import load

GOALS_CSV = "goals_2021.csv"
PASSWORD = "铁石口-2021"

# A plan in mid-2021: a few tasks have owners, due dates, statuses and progress.
# Relative to TODAY: G05, G06 are overdue; G30 (today), G08 (+14 d), G10 (+30 d) are due soon;
# G09 (+45 d) is neither; G07 is done (never overdue).
TODAY = date(2021, 7, 1)
PLAN = {
    "G05": {"owner": "镇扶贫办", "due": "2021-03-31", "status": "进行中", "progress": "40"},
    "G06": {"owner": "镇扶贫办", "due": "2021-06-30", "status": "未开始", "progress": "0"},
    "G07": {"owner": "镇党政办", "due": "2021-05-01", "status": "已完成", "progress": "100"},
    "G08": {"owner": "镇党政办", "due": "2021-07-15", "status": "进行中", "progress": "20"},
    "G09": {"owner": "", "due": "2021-08-15", "status": "未开始", "progress": "0"},
    "G10": {"owner": "", "due": "2021-07-31", "status": "未开始", "progress": "0"},
    "G30": {"owner": "镇生态办", "due": "2021-07-01", "status": "滞后", "progress": "10"},
}


# ---------------------------------------------------------------- helpers


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def edit_csv(path: Path, changes: dict[str, dict[str, str]]) -> None:
    """Set cells by id and column, as an official would in Excel (UTF-8 with BOM kept)."""
    rows = read_rows(path)
    header = rows[0]
    seen = set()
    for r in rows[1:]:
        if r and r[0] in changes:
            seen.add(r[0])
            for col, value in changes[r[0]].items():
                r[header.index(col)] = value
    assert seen == set(changes), f"ids not in {path.name}: {set(changes) - seen}"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def row_of(path: Path, gid: str) -> dict[str, str]:
    rows = read_rows(path)
    return next(dict(zip(rows[0], r)) for r in rows[1:] if r and r[0] == gid)


def tasks_of(path: Path) -> dict[str, str]:
    rows = read_rows(path)
    i = rows[0].index("task")
    return {r[0]: r[i] for r in rows[1:] if r}


# The shipped plan, read independently of the loader: ids per group, in file order.
_SHIPPED_ROWS = read_rows(SHIPPED / GOALS_CSV)
N_GOALS = len(_SHIPPED_ROWS) - 1
GROUP_IDS = {
    g: [r[0] for r in _SHIPPED_ROWS[1:] if r[_SHIPPED_ROWS[0].index("group")] == g] for g in schema.GOAL_GROUPS
}


@pytest.fixture
def plan_dir(data_dir) -> Path:
    edit_csv(data_dir / GOALS_CSV, PLAN)
    return data_dir


@pytest.fixture
def plan(plan_dir):
    bundle = load(plan_dir)
    assert bundle.ok, [str(i) for i in bundle.errors]
    return bundle.goals


def walk(node):
    """Elements of a block in page order."""
    children = getattr(node, "children", None)
    if children is not None and not hasattr(node, "value"):
        for k in sorted(children):
            yield from walk(children[k])
    else:
        yield node


def shown_goal_ids(at) -> list[str]:
    """Goal cards on the page: their bold first line is '**G05　task**'."""
    out = []
    for m in at.markdown:
        hit = re.match(r"^\*\*(G\d+)\u3000", m.value)
        if hit:
            out.append(hit[1])
    return out


def filtered_count(at) -> int:
    caption = next(c.value for c in at.caption if c.value.startswith("筛选结果"))
    return int(re.search(r"(\d+) 项任务", caption)[1])


def button(at, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return matches[0]


def progress_texts(at) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def goals_page(password: str | None = None, monkeypatch=None, query: dict | None = None):
    """A fresh session whose first request is /goals (a link or a bookmark, optionally with filters)."""
    if password is not None:
        monkeypatch.setenv("TOWNBOARD_ADMIN_PASSWORD", password)
    at = new_app()
    at._page_hash = calc_hash("goals")  # noqa: SLF001 - st.Page hashes its url_path
    at.query_params.update(query or {})
    at.run()
    assert at.title and at.title[0].value == "2021年目标跟踪", "did not open the goals page"
    return at


# Editing tests open the page filtered to 一条主线 (4 cards instead of all 71): the edit form always
# lists every goal, and each rerun is much cheaper.
ONE_LINE = {"group": "一条主线"}


def unlock(at, password: str = PASSWORD):
    at.text_input(key="goals-password").input(password)
    return button(at, "进入编辑").click().run()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- roll-ups (unit)


def test_status_counts_cover_every_status_in_contract_order(plan):
    assert goals.status_counts(plan) == {"未开始": N_GOALS - 4, "进行中": 2, "已完成": 1, "滞后": 1}
    assert list(goals.status_counts(plan)) == list(schema.GOAL_STATUSES)


def test_status_counts_of_the_shipped_plan(data_dir):
    g = load(data_dir).goals
    assert goals.status_counts(g) == {"未开始": len(g), "进行中": 0, "已完成": 0, "滞后": 0}
    assert goals.average_progress(g) == 0


def test_average_progress(plan):
    assert goals.average_progress(plan) == pytest.approx((40 + 100 + 20 + 10) / N_GOALS)
    assert goals.fmt_progress(50.0) == "50%" and goals.fmt_progress(2.3943) == "2.4%"
    assert goals.average_progress(plan.iloc[0:0]) is None
    assert goals.fmt_progress(None) == "—"


def test_rollup_by_group_in_plan_order(plan):
    r = goals.rollup(plan, "group")
    assert list(r.columns) == ["类别", "平均进度", "任务数"]
    assert list(r["类别"]) == list(schema.GOAL_GROUPS)
    sizes = [len(GROUP_IDS[g]) for g in schema.GOAL_GROUPS]
    assert list(r["任务数"]) == sizes
    assert list(r["平均进度"]) == pytest.approx([0.0, round(160 / sizes[1], 1), round(10 / sizes[2], 1), 0.0])


def test_rollup_by_theme_in_order_of_appearance(plan):
    r = goals.rollup(plan, "theme").set_index("方向")
    first_seen = list(dict.fromkeys(plan["theme"]))
    assert list(r.index) == first_seen
    assert r.loc["突出两个重点", "任务数"] == 2
    assert r.loc["突出两个重点", "平均进度"] == pytest.approx(20.0)
    assert r.loc["巩固全面小康成色", "任务数"] == 5
    assert r.loc["巩固全面小康成色", "平均进度"] == pytest.approx(24.0)
    assert r.loc["树牢绿色导向", "平均进度"] == pytest.approx(1.0)
    assert r["任务数"].sum() == len(plan)


def test_rollup_of_a_filtered_plan_only_lists_present_groups(plan):
    r = goals.rollup(goals.filter_goals(plan, statuses=["进行中"]), "group")
    assert list(r["类别"]) == ["两个重点"]
    assert list(r["任务数"]) == [2]
    assert list(r["平均进度"]) == [30.0]


def test_overdue_with_a_fixed_today(plan):
    late = goals.overdue(plan, today=TODAY)
    assert list(late["id"]) == ["G05", "G06"]  # most overdue first; G07 is done, G30 is due today
    assert list(late["逾期天数"]) == [92, 1]


def test_overdue_is_empty_before_any_due_date(plan):
    assert goals.overdue(plan, today=date(2021, 1, 1)).empty


def test_completed_task_is_never_overdue(plan):
    late = goals.overdue(plan, today=date(2030, 1, 1))
    assert "G07" not in set(late["id"])
    assert set(late["id"]) == {"G05", "G06", "G08", "G09", "G10", "G30"}


def test_shipped_plan_without_due_dates_has_nothing_overdue(data_dir):
    g = load(data_dir).goals
    assert goals.overdue(g, today=date(2030, 1, 1)).empty
    assert goals.due_soon(g, today=date(2021, 1, 1)).empty


def test_due_soon_within_30_days(plan):
    soon = goals.due_soon(plan, today=TODAY)
    assert list(soon["id"]) == ["G30", "G08", "G10"]  # soonest first; G09 is 45 days away
    assert list(soon["剩余天数"]) == [0, 14, 30]
    assert list(goals.due_soon(plan, today=TODAY, days=10)["id"]) == ["G30"]


def test_filter_goals(plan):
    assert len(goals.filter_goals(plan)) == len(plan)
    assert list(goals.filter_goals(plan, groups=["两个重点"])["id"]) == GROUP_IDS["两个重点"]
    assert len(goals.filter_goals(plan, groups=["一条主线", "两个重点"])) == len(
        GROUP_IDS["一条主线"] + GROUP_IDS["两个重点"]
    )
    assert list(goals.filter_goals(plan, statuses=["进行中"])["id"]) == ["G05", "G08"]
    assert list(goals.filter_goals(plan, owners=["镇扶贫办"])["id"]) == ["G05", "G06"]
    eco = goals.filter_goals(plan, sections=["生态环境"])
    assert len(eco) > 0 and set(eco["section"]) == {"生态环境"}
    assert list(goals.filter_goals(plan, ["两个重点"], ["进行中"], ["镇党政办"])["id"]) == ["G08"]
    assert goals.filter_goals(plan, groups=["一条主线"], statuses=["已完成"]).empty


# ---------------------------------------------------------------- the page, read-only


def test_goals_page_renders_the_shipped_plan(data_dir):
    at = goals_page()
    assert_no_exception(at)
    assert at.title[0].value == "2021年目标跟踪"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["未开始"] == f"{N_GOALS} 项"
    assert metrics["已完成"] == "0 项"
    assert metrics["平均进度"] == "0%"
    assert filtered_count(at) == N_GOALS
    assert [h.value for h in at.header][:4] == list(schema.GOAL_GROUPS)
    assert len(shown_goal_ids(at)) == N_GOALS
    assert not at.error  # nothing overdue: the shipped plan has no due dates
    assert "还没有通过看板保存的更新" in texts(at)


def test_overdue_tasks_are_flagged_at_the_top(plan_dir):
    at = goals_page()
    assert_no_exception(at)
    # every due date of the fixture is in 2021, long past: all unfinished tasks with a date are late
    late = {"G05", "G06", "G08", "G09", "G10", "G30"}
    assert at.error, "no overdue alert"
    assert f"有 {len(late)} 项任务已超过完成时限且未完成" in at.error[0].value
    order = list(walk(at.main))
    kinds = [getattr(e, "type", "") for e in order]
    alert_at = next(i for i, e in enumerate(order) if e.type == "error" and "超过完成时限" in e.value)
    assert alert_at < kinds.index("metric") < kinds.index("header"), "the alert is not above the plan"
    table = next(e for e in order[alert_at:] if e.type == "dataframe").value
    assert set(table["编号"]) == late
    tasks = tasks_of(plan_dir / GOALS_CSV)
    assert set(table["任务"]) == {tasks[g] for g in late}
    assert table.set_index("编号").loc["G05", "完成时限"] == "2021-03-31"
    assert table.set_index("编号").loc["G05", "责任人"] == "镇扶贫办"
    assert all(re.fullmatch(r"逾期 \d+ 天", x) for x in table["逾期"])
    assert "G07" not in set(table["编号"])  # finished on time or not, a done task is not late


def test_due_soon_tasks_are_warned_about(data_dir):
    soon = (date.today() + timedelta(days=10)).isoformat()
    edit_csv(data_dir / GOALS_CSV, {"G12": {"due": soon, "status": "进行中", "progress": "50"}})
    at = goals_page()
    assert_no_exception(at)
    task = tasks_of(data_dir / GOALS_CSV)["G12"]
    assert any("未来 30 天内到期的任务 1 项" in w.value and task in w.value for w in at.warning)
    assert not any("超过完成时限" in e.value for e in at.error)


def test_filters_narrow_the_list(plan_dir):
    at = goals_page()
    at.multiselect(key="group").select("两个重点").run()
    assert_no_exception(at)
    assert filtered_count(at) == len(GROUP_IDS["两个重点"])
    assert [h.value for h in at.header if h.value in schema.GOAL_GROUPS] == ["两个重点"]
    assert shown_goal_ids(at) == GROUP_IDS["两个重点"]

    at.multiselect(key="status").select("进行中").run()
    assert filtered_count(at) == 2
    assert shown_goal_ids(at) == ["G05", "G08"]

    at.multiselect(key="owner").select("镇扶贫办").run()
    assert shown_goal_ids(at) == ["G05"]

    at.multiselect(key="group").set_value([])
    at.multiselect(key="status").set_value([])
    at.multiselect(key="owner").set_value([])
    at.multiselect(key="gsec").select("生态环境").run()
    shown = shown_goal_ids(at)
    rows = read_rows(plan_dir / GOALS_CSV)
    eco = [r[0] for r in rows[1:] if r and r[rows[0].index("section")] == "生态环境"]
    assert shown == eco and filtered_count(at) == len(eco)
    assert at.multiselect(key="owner").options == ["镇党政办", "镇扶贫办", "镇生态办"]


def test_filters_live_in_the_url(plan_dir):
    # a shared link opens with the same filters applied
    at = goals_page(query={"group": ["两个重点", "三个导向"], "status": "进行中"})
    assert_no_exception(at)
    # each filter is bound to a query parameter named after its key (the browser writes it there)
    for key in ("group", "status", "owner", "gsec"):
        assert at.multiselect(key=key).proto.query_param_key == key
    assert at.query_params["group"] == ["两个重点", "三个导向"]
    assert at.query_params["status"] == "进行中"
    assert at.multiselect(key="group").value == ["两个重点", "三个导向"]
    assert at.multiselect(key="status").value == ["进行中"]
    assert shown_goal_ids(at) == ["G05", "G08"]
    assert filtered_count(at) == 2


# ---------------------------------------------------------------- locked / unlocked


def test_without_a_password_the_page_says_how_to_set_one(data_dir):
    at = goals_page()
    assert_no_exception(at)
    info = "\n".join(i.value for i in at.info)
    assert "尚未设置管理员密码" in info
    assert "TOWNBOARD_ADMIN_PASSWORD" in info and "secrets.toml" in info
    assert not [b for b in at.button if b.label in ("保存", "进入编辑")]
    assert not [w for w in at.text_input if w.key == "goals-password"]
    assert not [w for w in at.selectbox if (w.key or "").startswith(("ge_", "edit_goal"))]


def test_without_a_password_nothing_is_written_through_the_page(data_dir):
    before = snapshot(data_dir)
    at = goals_page()
    # even a session that believes it is unlocked stays read-only when no password is configured
    at.session_state["_admin"] = True
    at.run()
    assert_no_exception(at)
    assert "尚未设置管理员密码" in texts(at)
    assert not [b for b in at.button if b.label == "保存"]
    assert not [w for w in at.number_input if (w.key or "").startswith("ge_")]
    assert snapshot(data_dir) == before
    assert not (data_dir / store.BACKUP_DIR).exists()
    assert not (data_dir / store.HISTORY_FILE).exists()


def test_wrong_password_is_refused(data_dir, monkeypatch):
    at = goals_page(PASSWORD, monkeypatch, ONE_LINE)
    assert not [b for b in at.button if b.label == "保存"]
    unlock(at, "wrong")
    assert_no_exception(at)
    assert "密码不正确" in [e.value for e in at.error]
    assert not [b for b in at.button if b.label == "保存"]
    assert not [w for w in at.number_input if (w.key or "").startswith("ge_")]


def test_right_password_unlocks_and_logout_locks_again(data_dir, monkeypatch):
    at = goals_page(PASSWORD, monkeypatch, ONE_LINE)
    unlock(at)
    assert_no_exception(at)
    assert any("已进入编辑模式" in s.value for s in at.success)
    assert at.selectbox(key="edit_goal").value == "G01"
    assert at.number_input(key="ge_G01_progress").value == 0
    assert button(at, "保存")
    button(at, "退出编辑").click().run()
    assert_no_exception(at)
    assert not [b for b in at.button if b.label in ("保存", "退出编辑")]
    assert [w for w in at.text_input if w.key == "goals-password"]


# ---------------------------------------------------------------- saving through the form


def test_saving_through_the_form(data_dir, monkeypatch):
    path = data_dir / GOALS_CSV
    before_rows = read_rows(path)
    old_note = row_of(path, "G05")["note"]
    at = goals_page(PASSWORD, monkeypatch, {"group": "两个重点"})  # G05's group, to see its card after saving
    unlock(at)
    at.selectbox(key="edit_goal").set_value("G05").run()
    at.selectbox(key="ge_G05_status").set_value("进行中")
    at.number_input(key="ge_G05_progress").set_value(40)
    at.text_input(key="ge_G05_owner").input("镇扶贫办")
    at.text_area(key="ge_G05_note").input("已完成第一轮入户核查")
    at.text_input(key="ge_G05_who").input("李四")
    button(at, "保存").click().run()
    assert_no_exception(at)
    assert any(s.value.startswith("已保存 G05：修改了 4 项") for s in at.success), [s.value for s in at.success]

    # the file: exactly the edited fields of G05 changed (and its 更新日期), everything else equal
    after_rows = read_rows(path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    header = after_rows[0]
    assert header == before_rows[0] and len(after_rows) == len(before_rows)
    for old, new in zip(before_rows[1:], after_rows[1:]):
        if old[0] != "G05":
            assert new == old
            continue
        changed = {h for h, a, b in zip(header, old, new) if a != b}
        assert changed == {"status", "progress", "owner", "note", "updated"}
    g05 = row_of(path, "G05")
    assert (g05["status"], g05["progress"], g05["owner"]) == ("进行中", "40", "镇扶贫办")
    assert g05["note"] == "已完成第一轮入户核查"
    assert g05["updated"] == date.today().isoformat()

    # a backup of the previous file, byte for byte
    backups = list((data_dir / store.BACKUP_DIR).glob("goals_2021-*.csv"))
    assert len(backups) == 1
    assert read_rows(backups[0]) == before_rows

    # the history: one row per changed field, with who saved it
    hist = read_rows(data_dir / store.HISTORY_FILE)
    assert hist[0] == store.HISTORY_COLUMNS
    logged = {(r[1], r[2], r[3], r[4], r[5]) for r in hist[1:]}
    assert logged == {
        ("G05", "status", "未开始", "进行中", "李四"),
        ("G05", "progress", "0", "40", "李四"),
        ("G05", "owner", "", "镇扶贫办", "李四"),
        ("G05", "note", old_note, "已完成第一轮入户核查", "李四"),
    }

    # the page shows the new state and the history
    at.run()
    assert_no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["进行中"] == "1 项" and metrics["未开始"] == f"{N_GOALS - 1} 项"
    assert "进度 40%" in progress_texts(at)
    assert ":blue-badge[进行中]" in [m.value for m in at.markdown]
    assert "最新进展：已完成第一轮入户核查" in [t.value for t in at.text]
    history = at.dataframe[-1].value
    assert list(history.columns) == ["时间", "编号", "字段", "原值", "新值", "更新人"]
    assert len(history) == 4
    assert set(history["编号"]) == {"G05"} and set(history["更新人"]) == {"李四"}
    assert {(r["字段"], r["新值"]) for r in history.to_dict("records")} >= {("状态", "进行中"), ("进度", "40")}


def test_saving_without_a_name_records_the_admin(data_dir, monkeypatch):
    at = goals_page(PASSWORD, monkeypatch, ONE_LINE)
    unlock(at)
    at.number_input(key="ge_G01_progress").set_value(25)
    at.selectbox(key="ge_G01_status").set_value("进行中")
    button(at, "保存").click().run()
    assert_no_exception(at)
    hist = read_rows(data_dir / store.HISTORY_FILE)
    assert [r[5] for r in hist[1:]] == ["管理员", "管理员"]
    assert row_of(data_dir / GOALS_CSV, "G01")["progress"] == "25"


def test_invalid_save_through_the_form_names_the_field_and_writes_nothing(data_dir, monkeypatch):
    before = snapshot(data_dir)
    at = goals_page(PASSWORD, monkeypatch, ONE_LINE)
    unlock(at)
    at.selectbox(key="ge_G01_status").set_value("已完成")
    at.number_input(key="ge_G01_progress").set_value(50)
    button(at, "保存").click().run()
    assert_no_exception(at)
    assert any("未保存" in e.value for e in at.error)
    assert any("进度" in m.value and "已完成" in m.value for m in at.markdown)
    assert snapshot(data_dir) == before


def test_stale_save_through_the_form_is_refused_and_keeps_the_other_save(data_dir, monkeypatch):
    path = data_dir / GOALS_CSV
    at = goals_page(PASSWORD, monkeypatch, ONE_LINE)
    unlock(at)
    # someone else saves the file after this form was opened
    edit_csv(path, {"G02": {"note": "别人刚保存的进展"}})
    theirs = path.read_bytes()
    at.number_input(key="ge_G01_progress").set_value(30)
    at.selectbox(key="ge_G01_status").set_value("进行中")
    button(at, "保存").click().run()
    assert_no_exception(at)
    assert any("保存被拒绝" in e.value for e in at.error)
    assert path.read_bytes() == theirs
    assert at.number_input(key="ge_G01_progress").value == 30  # what was typed is kept
    assert not (data_dir / store.HISTORY_FILE).exists()


def test_failed_write_through_the_form_says_so(data_dir, monkeypatch):
    path = data_dir / GOALS_CSV
    before = path.read_bytes()
    at = goals_page(PASSWORD, monkeypatch, ONE_LINE)
    unlock(at)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "replace", broken_replace)
    at.number_input(key="ge_G01_progress").set_value(30)
    button(at, "保存").click().run()
    assert_no_exception(at)
    assert any("写入文件失败，原文件未改动" in e.value for e in at.error)
    assert path.read_bytes() == before
    assert not list(data_dir.glob(".*.tmp"))


# ---------------------------------------------------------------- store.save_goal_changes


def test_valid_save_changes_exactly_the_edited_fields(data_dir):
    path = data_dir / GOALS_CSV
    before = path.read_bytes()
    sig = store.read_goals(data_dir).signature
    note = row_of(path, "G05")["note"]
    assert note  # submitted unchanged below: not written, not logged
    written = store.save_goal_changes(
        data_dir,
        {"G05": {"status": "进行中", "progress": "30", "owner": "镇扶贫办", "note": note, "due": ""}},
        expected=sig,
        who="张三",
        today="2021-04-01",
    )
    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf")
    # field-level: only the three changed cells and 更新日期
    assert [(w["field"], w["old"], w["new"], w["who"]) for w in written] == [
        ("status", "未开始", "进行中", "张三"),
        ("progress", "0", "30", "张三"),
        ("owner", "", "镇扶贫办", "张三"),
    ]
    old_rows, new_rows = read_rows_bytes(before), read_rows_bytes(after)
    header = old_rows[0]
    diffs = [(o[0], h, a, b) for o, n in zip(old_rows, new_rows) for h, a, b in zip(header, o, n) if a != b]
    assert sorted(diffs) == sorted(
        [
            ("G05", "status", "未开始", "进行中"),
            ("G05", "progress", "0", "30"),
            ("G05", "owner", "", "镇扶贫办"),
            ("G05", "updated", "", "2021-04-01"),
        ]
    )
    # byte-level: every other line of the file is as it was
    old_lines, new_lines = before.split(b"\n"), after.split(b"\n")
    assert len(old_lines) == len(new_lines)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b]
    assert changed == [5]  # header is line 0: G05 is the fifth goal
    assert new_lines[5].startswith(b"G05,")
    # backup and history
    backups = list((data_dir / store.BACKUP_DIR).iterdir())
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert len(read_rows(data_dir / store.HISTORY_FILE)) == 1 + 3


def read_rows_bytes(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_save_with_nothing_changed_writes_nothing(data_dir):
    before = snapshot(data_dir)
    sig = store.read_goals(data_dir).signature
    assert store.save_goal_changes(data_dir, {"G05": {"status": "未开始", "progress": "0"}}, expected=sig) == []
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(
    ("changes", "column", "value"),
    [
        ({"progress": "120"}, "progress（进度）", "120"),
        ({"progress": "-5"}, "progress（进度）", "-5"),
        ({"progress": "一半"}, "progress（进度）", "一半"),
        ({"status": "不知道"}, "status（状态）", "不知道"),
        ({"status": "已完成", "progress": "50"}, "progress（进度）", "50"),
        ({"due": "2021-02-30"}, "due（完成时限）", "2021-02-30"),
        ({"actual": "三百"}, "actual（完成值）", "三百"),
    ],
    ids=[
        "progress-120",
        "progress-negative",
        "progress-text",
        "status-unknown",
        "done-at-50",
        "due-feb-30",
        "actual-text",
    ],
)
def test_invalid_values_are_refused_with_the_field_named(data_dir, changes, column, value):
    before = snapshot(data_dir)
    sig = store.read_goals(data_dir).signature
    with pytest.raises(store.InvalidDataError) as err:
        store.save_goal_changes(data_dir, {"G05": changes}, expected=sig, who="张三")
    issues = err.value.issues
    assert issues, "no issue reported"
    assert all(i.file == GOALS_CSV for i in issues)
    hit = [i for i in issues if i.column == column]
    assert hit, [str(i) for i in issues]
    assert hit[0].value == value
    assert hit[0].row == 6  # G05 is Excel row 6 (header is row 1)
    assert column in str(err.value)
    assert snapshot(data_dir) == before  # file unchanged, no backup, no history


def test_unknown_goal_is_refused(data_dir):
    before = snapshot(data_dir)
    sig = store.read_goals(data_dir).signature
    with pytest.raises(store.InvalidDataError, match="G99"):
        store.save_goal_changes(data_dir, {"G99": {"progress": "10"}}, expected=sig)
    assert snapshot(data_dir) == before


def test_stale_write_is_refused_and_the_newer_file_is_kept(data_dir):
    path = data_dir / GOALS_CSV
    sig = store.read_goals(data_dir).signature
    edit_csv(path, {"G02": {"note": "另一位同事先保存了"}})  # someone else saves first
    theirs = path.read_bytes()
    with pytest.raises(store.StaleWriteError):
        store.save_goal_changes(data_dir, {"G05": {"progress": "30", "status": "进行中"}}, expected=sig)
    assert path.read_bytes() == theirs
    assert not (data_dir / store.HISTORY_FILE).exists()
    assert not (data_dir / store.BACKUP_DIR).exists()


def test_stale_write_is_refused_even_when_the_file_changes_during_the_save(data_dir, monkeypatch):
    """The file changes after save_goal_changes read it but before it writes (a race)."""
    path = data_dir / GOALS_CSV
    sig = store.read_goals(data_dir).signature
    real_validate = store._validate_goals

    def validate_then_someone_saves(*args, **kwargs):
        real_validate(*args, **kwargs)
        edit_csv(path, {"G02": {"note": "抢先一步保存"}})

    monkeypatch.setattr(store, "_validate_goals", validate_then_someone_saves)
    with pytest.raises(store.StaleWriteError):
        store.save_goal_changes(data_dir, {"G05": {"progress": "30", "status": "进行中"}}, expected=sig)
    assert row_of(path, "G02")["note"] == "抢先一步保存"
    assert row_of(path, "G05")["progress"] == "0"
    assert not (data_dir / store.HISTORY_FILE).exists()


def test_failure_during_the_write_leaves_the_original_and_no_temp_file(data_dir, monkeypatch):
    path = data_dir / GOALS_CSV
    before = path.read_bytes()
    sig = store.read_goals(data_dir).signature

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.save_goal_changes(data_dir, {"G05": {"progress": "30", "status": "进行中"}}, expected=sig)
    assert path.read_bytes() == before
    leftovers = [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".")]
    assert leftovers == []
    assert not (data_dir / store.HISTORY_FILE).exists()  # nothing logged for a save that did not happen
    monkeypatch.undo()
    assert load(data_dir).ok
