"""Real-browser fixtures: a streamlit server on a private copy of the data, system Chromium via Playwright.

The whole directory is skipped (with the reason shown by ``pytest -ra``) when Chromium or the
playwright package is missing, so the README's test command passes on such a machine.

Environment:
- ``TOWNBOARD_E2E_CHROMIUM``: the Chromium executable to use (default ``/usr/bin/chromium``, else
  ``chromium`` on PATH). Point it at a missing file (``TOWNBOARD_E2E_CHROMIUM=/nonexistent``) to see
  the skip.

Fixture names start with ``tb_`` so they never clash with pytest-playwright's ``page``/``browser``.
Screenshots and server logs go to ``test-artifacts/e2e/`` (gitignored).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_DATA = ROOT / "data"
DATA_FILES = ("sections.csv", "indicators.csv", "goals_2021.csv", "problems.csv", "report.txt")
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
E2E_DIR = Path(__file__).resolve().parent

ADMIN_PASSWORD = "e2e-测试-Passw0rd"
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}


def find_chromium() -> tuple[str | None, str]:
    """(executable, '') when usable, else (None, why not)."""
    override = os.environ.get("TOWNBOARD_E2E_CHROMIUM", "").strip()
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override, ""
        return None, f"TOWNBOARD_E2E_CHROMIUM={override} is not an executable file"
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium", ""
    found = shutil.which("chromium")
    if found:
        return found, ""
    return None, "Chromium not found (/usr/bin/chromium or `chromium` on PATH); install it with apt-get install chromium"


def _skip_reason() -> str | None:
    exe, why = find_chromium()
    if exe is None:
        return f"browser tests skipped: {why}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"browser tests skipped: the playwright package cannot be imported ({exc}); pip install -r requirements-dev.txt"
    return None


CHROMIUM, _ = find_chromium()
SKIP_REASON = _skip_reason()


def pytest_collection_modifyitems(config, items):
    # A conftest hook sees every collected item: only touch the ones in this directory.
    if SKIP_REASON is None:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


# ---------------------------------------------------------------- data and server


def copy_data(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in DATA_FILES:
        shutil.copy2(SHIPPED_DATA / name, dest / name)
    return dest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    data_dir: Path
    log: Path
    proc: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def run_server(data_dir: Path, name: str, timeout: float = 45.0) -> Iterator[Server]:
    """Start `streamlit run dashboard.py` on a free port with data_dir; stop that PID afterwards."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = ARTIFACTS / f"server-{name}.log"
    env = {**os.environ, "TOWNBOARD_DATA_DIR": str(data_dir), "TOWNBOARD_ADMIN_PASSWORD": ADMIN_PASSWORD}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", data_dir, log_path, proc)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {proc.returncode}:\n{server.log_text()}")
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health within {timeout:.0f} s:\n{server.log_text()}")
            time.sleep(0.2)  # short polling only
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="session")
def tb_server(tmp_path_factory) -> Iterator[Server]:
    """The shared server over a private copy of data/ (tests that change files restore them)."""
    data_dir = copy_data(tmp_path_factory.mktemp("e2e") / "data")
    with run_server(data_dir, "main") as server:
        yield server


@pytest.fixture
def tb_fresh_server(tmp_path) -> Callable[[], contextlib.AbstractContextManager[Server]]:
    """A factory for a brand-new server (its first page request is the test's own)."""
    return lambda: run_server(copy_data(tmp_path / "data"), "fresh")


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def tb_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tb_context(tb_browser):
    ctx = tb_browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


@pytest.fixture
def tb_page(tb_context):
    page = tb_context.new_page()
    page.tb_dialogs = []  # every alert/confirm/prompt the page opens (the XSS test expects none)
    page.on("dialog", lambda d: (page.tb_dialogs.append(d.message), d.dismiss()))
    return page


# ---------------------------------------------------------------- helpers for the tests


def wait_for_app(page) -> None:
    """The recipe's wait that holds: connected, script finished, no 'Running…', no skeletons."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", state="attached")
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached")
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stSkeleton']\")")


def screenshot(page, name: str) -> Path:
    """The whole page: stMain is the scroll container, so grow the viewport to the content first."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        """() => {
            const b = document.querySelector("[data-testid='stMainBlockContainer']");
            return b ? Math.ceil(b.getBoundingClientRect().height) + 120 : 1000;
        }"""
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(int(height), 12_000))})
    path = ARTIFACTS / f"{name}.png"
    try:
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(VIEWPORT)
    return path
