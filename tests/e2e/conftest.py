"""Real-browser fixtures: a streamlit server on a private copy of the data, system Chromium via Playwright.

The whole directory is skipped, with the reason shown by `pytest -ra`, when Chromium or the playwright
package is missing, so the README's test command still passes on such a machine.

Environment:
- TOWNBOARD_E2E_CHROMIUM: the Chromium executable (default /usr/bin/chromium, else `chromium` on PATH).
  `TOWNBOARD_E2E_CHROMIUM=/nonexistent .venv/bin/python -m pytest tests/e2e -ra` shows the skip.

Fixture names start with tb_ so they never clash with pytest-playwright's page/browser (not installed).
Screenshots and server logs go to test-artifacts/e2e/ (gitignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from pathlib import Path

import pytest

from townboard.browser import CHROME_ARGS

from .e2e_support import (
    ARTIFACTS,
    TIMEOUT_MS,
    VIEWPORT,
    Server,
    copy_data,
    find_chromium,
    run_server,
    skip_reason,
    wait_for_app,
)

E2E_DIR = Path(__file__).resolve().parent
SKIP_REASON = skip_reason()


def pytest_collection_modifyitems(config, items):
    # A conftest's hook sees every collected item: mark only the ones in this directory.
    if SKIP_REASON is None:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tb_server(tmp_path_factory, tb_browser):
    """The shared server over a private copy of data/ (tests that change a file restore it).

    Warmed up by one visit, so whichever test comes first does not meet the spurious "Page not
    found" dialog of a server's first run (see the deep-link test), which makes the page inert.
    """
    data_dir = copy_data(tmp_path_factory.mktemp("e2e") / "data")
    with run_server(data_dir, "main") as server:
        ctx = tb_browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        try:
            page = ctx.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(server.url + "/data")  # a light page
            page.get_by_text("数据文件夹").wait_for()
            wait_for_app(page)
        finally:
            ctx.close()
        yield server


@pytest.fixture
def tb_fresh_server(tmp_path) -> Callable[[], AbstractContextManager[Server]]:
    """A factory for a brand-new server, so the test's page is its first page request."""
    return lambda: run_server(copy_data(tmp_path / "data"), "fresh")


@pytest.fixture(scope="session")
def tb_browser():
    from playwright.sync_api import sync_playwright

    executable, _ = find_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROME_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tb_context(tb_browser):
    ctx = tb_browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"tb_report_{report.when}", report)
    return report


@pytest.fixture
def tb_page(tb_context, request):
    """A page in a fresh context.

    An uncaught JavaScript error (Streamlit's frontend crashing, e.g. "Bad delta path index")
    fails the test. When a test fails, the browser's errors are printed and a screenshot of
    what the page showed is kept as test-artifacts/e2e/FAILED-<test>.png.
    """
    page = tb_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    yield page
    report = getattr(request.node, "tb_report_call", None)
    if report is not None and report.failed and not page.is_closed():
        print("browser errors during the test:", *errors[-20:], f"url: {page.url}", sep="\n")
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        with suppress(Exception):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"), timeout=10_000)
    elif report is not None and report.passed:
        crashes = [e for e in errors if e.startswith("pageerror")]
        assert not crashes, f"uncaught errors in the page: {crashes}"


@pytest.fixture
def tb_dialogs(tb_page) -> list[str]:
    """Messages of every alert/confirm/prompt tb_page opens (each is dismissed)."""
    seen: list[str] = []

    def on_dialog(dialog) -> None:
        seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tb_page.on("dialog", on_dialog)
    return seen
