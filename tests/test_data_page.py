"""数据管理: file status, downloads, replacing a data file from an upload (validate -> diff -> confirm),
stale replaces refused, backups and restore; nothing is writable without the admin password."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import assert_no_exception, new_app, texts
from streamlit.util import calc_hash

from townboard import schema, store

PASSWORD = "数据-管理-2021"
BOM = b"\xef\xbb\xbf"
FILES = {kind: f"{kind}.csv" for kind in schema.FILE_KINDS}


# ---------------------------------------------------------------- helpers


def read_rows(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def rows_bytes(rows: list[list[str]], encoding: str = "utf-8-sig", newline: str = "\n") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(rows)
    return buf.getvalue().encode(encoding)


def with_cells(data: bytes, changes: dict[str, dict[str, str]], encoding: str = "utf-8-sig") -> bytes:
    """A copy of a CSV file's bytes with some cells changed (by id and column), as Excel saves it."""
    rows = read_rows(data)
    header = rows[0]
    for r in rows[1:]:
        if r and r[0] in changes:
            for col, value in changes[r[0]].items():
                r[header.index(col)] = value
    return rows_bytes(rows, encoding)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def data_rows(path: Path) -> int:
    return sum(1 for r in read_rows(path.read_bytes())[1:] if any(c.strip() for c in r))


def file_status(at):
    return next(df.value for df in at.dataframe if "校验" in df.value.columns).set_index("文件")


def button(at, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return matches[0]


def has_button(at, key: str) -> bool:
    return any(b.key == key for b in at.button)


def data_page(monkeypatch=None, password: str | None = None, unlock: bool = False):
    if password is not None:
        monkeypatch.setenv("TOWNBOARD_ADMIN_PASSWORD", password)
    at = new_app()
    at._page_hash = calc_hash("data")  # noqa: SLF001 - first request is /data (st.Page hashes its url_path)
    at.run()
    assert at.title and at.title[0].value == "数据管理", "did not open the data page"
    if unlock:
        at.text_input(key="data-password").input(password)
        button(at, "进入编辑").click().run()
        assert any("已进入编辑模式" in s.value for s in at.success)
    return at


def open_overview(at):
    # the default page is registered under url_path "" (served at /), so open it by its file
    return at.switch_page("pages/overview_page.py").run()


def upload(at, name: str, data: bytes, mime: str = "text/csv"):
    at.file_uploader[0].set_value((name, data, mime))
    return at.run()


def backups(data_dir: Path) -> list[Path]:
    folder = data_dir / store.BACKUP_DIR
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def admin(data_dir, monkeypatch):
    return data_page(monkeypatch, PASSWORD, unlock=True)


# ---------------------------------------------------------------- read-only


def test_lists_each_file_with_rows_and_passes(data_dir):
    at = data_page()
    assert_no_exception(at)
    assert at.title[0].value == "数据管理"
    status = file_status(at)
    assert list(status.index) == list(FILES.values())
    for kind, name in FILES.items():
        assert status.loc[name, "行数"] == data_rows(data_dir / name), name
        assert status.loc[name, "校验"] == "通过", name
        assert status.loc[name, "数据"] == schema.FILE_LABELS[kind]


def test_downloads_are_offered_for_each_file_and_the_workbook(data_dir):
    at = data_page()
    buttons = {b.key: b for b in at.download_button}
    for kind in schema.FILE_KINDS:
        b = buttons[f"dl-{kind}"]
        assert b.label == f"{schema.FILE_LABELS[kind]}（CSV）"
        assert b.proto.url.endswith(".csv")
    assert buttons["dl-all"].label == "全部数据（Excel 工作簿）"
    assert buttons["dl-all"].proto.url.endswith(".xlsx")


def test_without_a_password_no_upload_and_nothing_written(data_dir):
    before = snapshot(data_dir)
    at = data_page()
    assert_no_exception(at)
    assert not at.file_uploader
    assert "尚未设置管理员密码" in texts(at)
    assert not has_button(at, "upload_confirm") and not has_button(at, "restore_go")
    # a session flag alone does not unlock anything when no password is configured
    at.session_state["_admin"] = True
    at.run()
    assert not at.file_uploader
    assert snapshot(data_dir) == before


def test_password_configured_but_locked_offers_no_upload(data_dir, monkeypatch):
    before = snapshot(data_dir)
    at = data_page(monkeypatch, PASSWORD)
    assert not at.file_uploader
    at.text_input(key="data-password").input("不对")
    button(at, "进入编辑").click().run()
    assert "密码不正确" in [e.value for e in at.error]
    assert not at.file_uploader
    assert snapshot(data_dir) == before


# ---------------------------------------------------------------- upload and replace


def test_valid_upload_shows_the_diff_and_replaces_on_confirm(admin, data_dir):
    path = data_dir / FILES[schema.INDICATORS]
    old = path.read_bytes()
    new = with_cells(old, {"DJ-004": {"value": "600.5"}}, encoding="utf-8")  # plain UTF-8, no BOM
    assert not new.startswith(BOM)
    upload(admin, "indicators.csv", new)
    assert_no_exception(admin)
    assert admin.selectbox(key="upload_kind").value == schema.INDICATORS
    rows = data_rows(path)
    assert any(f"校验通过：{rows} 行" in s.value and "修改 1 行" in s.value for s in admin.success)
    diff = next(df.value for df in admin.dataframe if list(df.value.columns) == ["编号", "列", "原值", "新值"])
    assert diff.to_dict("records") == [{"编号": "DJ-004", "列": "value", "原值": "537.65", "新值": "600.5"}]
    assert path.read_bytes() == old  # nothing written before the confirmation
    assert not backups(data_dir)

    admin.button(key="upload_confirm").click().run()
    assert_no_exception(admin)
    assert any("已替换 indicators.csv" in s.value for s in admin.success)
    assert path.read_bytes() == BOM + new  # the upload, written as UTF-8 with BOM
    saved = backups(data_dir)
    assert len(saved) == 1 and saved[0].name.startswith("indicators-") and saved[0].read_bytes() == old
    # the new figure is what the dashboard now shows
    open_overview(admin)
    assert any(m.label == "村集体收入（14个村合计）" and m.value == "600.5万元" for m in admin.metric)


def test_gbk_upload_is_stored_as_utf8_with_bom(admin, data_dir):
    path = data_dir / FILES[schema.PROBLEMS]
    old = path.read_bytes()
    new_text = with_cells(old, {"P2": {"problem": "生态环保任务仍然繁重"}}).decode("utf-8-sig")
    gbk = new_text.replace("\n", "\r\n").encode("gbk")
    upload(admin, "存在的问题 (1).csv", gbk)  # a browser-renamed download of the file
    assert_no_exception(admin)
    assert admin.selectbox(key="upload_kind").value == schema.PROBLEMS
    admin.button(key="upload_confirm").click().run()
    assert_no_exception(admin)
    written = path.read_bytes()
    assert written.startswith(BOM)
    assert written.decode("utf-8-sig").replace("\r\n", "\n") == new_text
    assert [b.read_bytes() for b in backups(data_dir)] == [old]


def test_invalid_upload_lists_errors_with_rows_and_changes_nothing(admin, data_dir):
    path = data_dir / FILES[schema.INDICATORS]
    before = snapshot(data_dir)
    bad = with_cells(path.read_bytes(), {"DJ-010": {"value": "abc"}, "DJ-020": {"section": "不存在的板块"}})
    upload(admin, "indicators.csv", bad)
    assert_no_exception(admin)
    assert any("上传的文件有 2 处错误，未替换任何文件" in e.value for e in admin.error)
    errors = next(df.value for df in admin.dataframe if "问题与要求" in df.value.columns)
    assert sorted(zip(errors["行"], errors["列"], errors["当前值"])) == [
        ("11", "value（数值）", "abc"),
        ("21", "section（板块）", "不存在的板块"),
    ]
    assert not has_button(admin, "upload_confirm")
    assert snapshot(data_dir) == before


def test_upload_that_is_not_a_csv_is_refused(admin, data_dir):
    before = snapshot(data_dir)
    upload(admin, "indicators.csv", b"\x00\x01\x02PK binary junk" * 50)
    assert_no_exception(admin)
    assert any("未替换任何文件" in e.value for e in admin.error)
    assert not has_button(admin, "upload_confirm")
    assert snapshot(data_dir) == before


def test_stale_replace_is_refused_and_the_newer_file_is_kept(admin, data_dir):
    path = data_dir / FILES[schema.INDICATORS]
    old = path.read_bytes()
    upload(admin, "indicators.csv", with_cells(old, {"DJ-004": {"value": "600.5"}}))
    assert has_button(admin, "upload_confirm")
    # meanwhile a colleague saves another change to the same file in Excel
    theirs = with_cells(old, {"DJ-005": {"note": "同事刚改的备注"}})
    path.write_bytes(theirs)
    admin.button(key="upload_confirm").click().run()
    assert_no_exception(admin)
    assert any("替换被拒绝" in e.value for e in admin.error)
    assert path.read_bytes() == theirs
    assert not backups(data_dir)


def test_restore_brings_a_backup_back_and_backs_up_the_replaced_file(admin, data_dir):
    path = data_dir / FILES[schema.INDICATORS]
    original = path.read_bytes()
    upload(admin, "indicators.csv", with_cells(original, {"DJ-004": {"value": "600.5"}}))
    admin.button(key="upload_confirm").click().run()
    replaced = path.read_bytes()
    assert replaced != original
    first_backup = backups(data_dir)
    assert len(first_backup) == 1 and first_backup[0].read_bytes() == original

    admin.file_uploader[0].set_value(None).run()
    assert_no_exception(admin)
    pick = admin.selectbox(key="restore_pick")
    assert first_backup[0].name in pick.options
    pick.set_value(first_backup[0].name)
    admin.button(key="restore_go").click().run()
    assert_no_exception(admin)
    assert any("恢复 indicators.csv" in s.value for s in admin.success)
    assert path.read_bytes() == original
    after = backups(data_dir)
    assert len(after) == 2
    assert sorted(b.read_bytes() for b in after) == sorted([original, replaced])  # the replaced file is kept
    open_overview(admin)
    assert any(m.label == "村集体收入（14个村合计）" and m.value == "537.65万元" for m in admin.metric)


def test_logout_hides_the_upload_again(admin, data_dir):
    assert admin.file_uploader
    admin.button(key="data-logout").click().run()
    assert_no_exception(admin)
    assert not admin.file_uploader
    assert [w for w in admin.text_input if w.key == "data-password"]
