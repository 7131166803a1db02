"""Shared fixtures: a private copy of the data folder per test, AppTest helpers, clean caches."""

from __future__ import annotations

import shutil
from pathlib import Path

import altair  # noqa: F401  (imported once here: the first AppTest run is then well under its timeout)
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data"
DATA_FILES = ("sections.csv", "indicators.csv", "goals_2021.csv", "problems.csv", "report.txt")


@pytest.fixture(autouse=True)
def _clean_streamlit_caches(monkeypatch):
    # st.cache_* outlive AppTest instances within one pytest process.
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.delenv("TOWNBOARD_ADMIN_PASSWORD", raising=False)
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped data in tmp, with TOWNBOARD_DATA_DIR pointing at it."""
    d = tmp_path / "data"
    d.mkdir()
    for name in DATA_FILES:
        shutil.copy2(SHIPPED / name, d / name)
    monkeypatch.setenv("TOWNBOARD_DATA_DIR", str(d))
    return d


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Switch to the page registered under url_path (the section pages share one file, so
    AppTest.switch_page, which goes by file, cannot tell them apart) and run it."""
    if not at._registered_pages:  # noqa: SLF001 - needs one run to know the registered pages
        at.run()
    hashes = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == url_path]  # noqa: SLF001
    assert hashes, f"no page with url_path {url_path!r}"
    at._page_hash = hashes[0]  # noqa: SLF001
    return at.run()


@pytest.fixture
def app(data_dir) -> AppTest:
    at = new_app()
    at.run()
    return at


def texts(at: AppTest) -> str:
    """Everything a user reads on the page, as one string (for 'is this shown' assertions)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


def assert_no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


_PAGE_HASH: dict[str, str] = {}  # url path -> page hash (a hash of the url path: the same in every AppTest)


def start_on(url_path: str, query: dict | None = None) -> AppTest:
    """A fresh AppTest whose first run opens url_path with the given query (like following a link),
    without running the overview first. The page hashes are learnt once from a run of the default page."""
    if not _PAGE_HASH:
        first = new_app().run()
        _PAGE_HASH.update({info.get("url_pathname"): h for h, info in first._registered_pages.items()})  # noqa: SLF001
    at = new_app()
    if query:
        at.query_params.update(query)
    at._page_hash = _PAGE_HASH[url_path]  # noqa: SLF001
    return at.run()
