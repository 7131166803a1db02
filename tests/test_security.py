"""Data is shown as text, never as markup: HTML typed into a data file (by mistake or on purpose)
renders literally on every page; the only raw HTML the app emits is its own constant CSS."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import ROOT, assert_no_exception, new_app
from streamlit.testing.v1.element_tree import Block
from streamlit.util import calc_hash

from townboard import ui
from townboard.data import load

X = "<script>alert(1)</script>"

# Elements whose content Streamlit shows as plain text (no Markdown, no HTML): data may go there as is.
PLAIN = {"text", "dataframe", "vega_lite_chart", "multiselect", "selectbox", "text_input", "text_area", "code", "json"}

RAW = re.compile(r"(?<!\\)<script", re.IGNORECASE)  # not preceded by a Markdown escape

SECTIONS = [r[0] for r in csv.reader(io.StringIO((ROOT / "data" / "sections.csv").read_text("utf-8-sig")))][1:]


# ---------------------------------------------------------------- helpers


def edit_csv(path: Path, changes: dict[str, dict[str, str]]) -> None:
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    header = rows[0]
    for r in rows[1:]:
        if r and r[0] in changes:
            for col, value in changes[r[0]].items():
                r[header.index(col)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def walk(node):
    if isinstance(node, Block):
        yield node
        for k in sorted(node.children):
            yield from walk(node.children[k])
    else:
        yield node


def raw_markup(at) -> list[str]:
    """Elements that would hand the payload to a Markdown renderer unescaped."""
    bad = []
    for e in walk(at._tree):  # noqa: SLF001 - the whole tree: main, sidebar, events
        kind = getattr(e, "type", type(e).__name__)
        proto = getattr(e, "proto", None)
        if proto is None or kind in PLAIN:
            continue
        if RAW.search(str(proto)):
            bad.append(f"{kind}: {str(proto)[:200]!r}")
    return bad


def unescape(md: str) -> str:
    """Markdown source -> the text it shows: search highlights unwrapped, backslash escapes removed."""
    md = re.sub(r":orange-background\[\*\*(.*?)\*\*\]", r"\1", md)
    return re.sub(r"\\(.)", r"\1", md)


def shown_text(at) -> str:
    """What a reader sees, roughly: plain text as is, Markdown with its escapes removed."""
    parts = [t.value for t in at.text]
    for df in at.dataframe:
        parts += [str(v) for v in df.value.astype(str).to_numpy().ravel()]
    for t in at.table:
        parts += [unescape(str(v)) for v in t.value.astype(str).to_numpy().ravel()]
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success"):
        parts += [unescape(str(e.value)) for e in getattr(at, kind)]
    for m in at.metric:
        parts += [unescape(m.label), unescape(m.proto.help)]
    return "\n".join(parts)


def check(at, expect_payload: bool = True) -> None:
    assert_no_exception(at)
    assert raw_markup(at) == []
    if expect_payload:
        assert X in shown_text(at), "the text typed into the data is not shown"
    assert not [m for m in at.markdown if m.proto.allow_html]
    assert not at.get("html") or all(h.proto.body in (ui.PRINT_CSS, ui.PRESENT_CSS) for h in at.get("html"))


@pytest.fixture
def xss_dir(data_dir) -> Path:
    soon = (date.today() + timedelta(days=10)).isoformat()
    edit_csv(data_dir / "indicators.csv", {"DJ-004": {"indicator": X, "source": X}})
    # G05 is due soon, so its task is also named in the due-soon warning; owner is typed in the edit form
    edit_csv(data_dir / "goals_2021.csv", {"G05": {"task": X, "owner": X, "due": soon, "status": "进行中"}})
    edit_csv(data_dir / "problems.csv", {"P1": {"detail": X}})
    bundle = load(data_dir)
    assert bundle.ok, [str(i) for i in bundle.errors]
    return data_dir


def start_on(url_path: str, **query):
    """A fresh session whose first request is /url_path?query (the entry script runs, then that page)."""
    at = new_app()
    at._page_hash = calc_hash(url_path)  # noqa: SLF001 - st.Page hashes its url_path
    at.query_params.update(query)
    return at.run()


# ---------------------------------------------------------------- every page


def test_overview(xss_dir):
    at = new_app().run()  # the default page
    assert at.title[0].value == "铁石口镇2020年工作成效看板"
    check(at)
    assert any(unescape(m.label) == X for m in at.metric)  # the headline card of 党建引领
    assert any(unescape(m.proto.help).startswith("原文：" + X) for m in at.metric)
    assert X in [t.value for t in at.text]  # the problem's explanation, as plain text


def test_goals_page(xss_dir):
    at = start_on("goals")
    check(at)
    assert any(unescape(m.value).startswith(f"**G05\u3000{X}") for m in at.markdown)
    assert any(X in unescape(w.value) for w in at.warning)  # due within 30 days


def test_goals_edit_form(xss_dir, monkeypatch):
    monkeypatch.setenv("TOWNBOARD_ADMIN_PASSWORD", "pw")
    at = start_on("goals", group="两个重点")
    at.text_input(key="goals-password").input("pw")
    next(b for b in at.button if b.label == "进入编辑").click().run()
    at.selectbox(key="edit_goal").set_value("G05").run()
    check(at)
    assert at.text_input(key="ge_G05_owner").value == X  # edited as typed, not mangled


@pytest.mark.parametrize("page", ["data", "compare", "print"])
def test_other_pages(xss_dir, page):
    check(start_on(page), expect_payload=page != "data")


def test_compare_page_with_the_goal_and_problem_shown(xss_dir):
    check(start_on("compare", sec="产业发展"))  # its 2021 goals answer P1
    at = start_on("compare", sec="脱贫攻坚")  # G05 continues 脱贫攻坚
    check(at)
    assert any(X in unescape(m.value) for m in at.markdown)


def test_print_page_of_a_section(xss_dir):
    at = start_on("print", part="党建引领")
    check(at)
    assert at.table, "no table on the printable section"


def test_search_page(xss_dir):
    at = start_on("search", q="alert")
    check(at)
    assert any("共找到" in s.value for s in at.success)


@pytest.mark.parametrize("slide", ["1", "9"], ids=["党建引领", "problems"])
def test_present_page(xss_dir, slide):
    at = start_on("present", slide=slide)
    check(at)
    assert at.query_params.get("present") == "1"


@pytest.mark.parametrize("section", SECTIONS)
def test_section_pages(xss_dir, section):
    at = start_on(section)
    assert at.title[0].value.endswith(section)
    check(at, expect_payload=section == "党建引领")


# ---------------------------------------------------------------- the source tree


def _python_files() -> list[Path]:
    files = [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "townboard").glob("*.py"))]
    return [f for f in files if f.is_file()]


def test_raw_html_only_for_the_constant_css():
    uses = []
    for path in _python_files():
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if "unsafe_allow_html" in code:
                assert "unsafe_allow_html=False" in code.replace(" ", ""), f"{path.name}:{n}: {line.strip()}"
            if re.search(r"\bst\.html\(|\.html\(", code) and not code.lstrip().startswith(("def ", '"', "'")):
                uses.append((path.relative_to(ROOT).as_posix(), n, code.strip()))
    # one st.html in the whole app: ui.static_css, which only accepts the two constant style sheets
    assert uses == [("townboard/ui.py", _line_of("townboard/ui.py", "st.html(css)"), "st.html(css)")], uses
    source = (ROOT / "townboard" / "ui.py").read_text("utf-8")
    body = source[source.index("def static_css(") :]
    body = body[: body.index("\ndef ", 1)]
    assert "assert css in (PRINT_CSS, PRESENT_CSS)" in body
    for const in (ui.PRINT_CSS, ui.PRESENT_CSS):
        assert const.startswith("<style>") and const.rstrip().endswith("</style>")
        assert "{" in const and "<script" not in const.lower()
    # and every caller passes one of the constants by name
    calls = [
        (p.name, c)
        for p in _python_files()
        for c in re.findall(r"static_css\(([^)]*)\)", p.read_text("utf-8"))
        if c != "css: str"
    ]
    assert calls and all(c in ("ui.PRINT_CSS", "ui.PRESENT_CSS", "PRINT_CSS", "PRESENT_CSS") for _, c in calls), calls


def _line_of(rel: str, needle: str) -> int:
    lines = (ROOT / rel).read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line.split("#", 1)[0])


def test_static_css_refuses_anything_else():
    with pytest.raises(AssertionError):
        ui.static_css("<script>alert(1)</script>")
