"""Helpers of the browser tests: finding Chromium, a streamlit server on a data copy, waits, screenshots.

Kept out of conftest.py so test modules can import it (tests/conftest.py is also a "conftest").
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_DATA = ROOT / "data"
DATA_FILES = ("sections.csv", "indicators.csv", "goals_2021.csv", "problems.csv", "report.txt")
ARTIFACTS = ROOT / "test-artifacts" / "e2e"

ADMIN_PASSWORD = "e2e-测试-Passw0rd"
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 60_000  # a cold section page takes 5–12 s on a loaded 2-core machine: be generous


def find_chromium() -> tuple[str | None, str]:
    """(executable, "") when usable, else (None, why not).

    TOWNBOARD_E2E_CHROMIUM overrides the search (set it to a missing path to simulate no browser).
    """
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
    return None, "Chromium not found (no /usr/bin/chromium, no `chromium` on PATH); `apt-get install chromium`"


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    exe, why = find_chromium()
    if exe is None:
        return f"browser tests skipped: {why}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"browser tests skipped: the playwright package cannot be imported ({exc}); pip install -r requirements-dev.txt"
    return None


# ---------------------------------------------------------------- data and server


def copy_data(dest: Path) -> Path:
    """A private copy of the shipped CSVs and report.txt."""
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
def run_server(data_dir: Path, name: str, timeout: float = 60.0) -> Iterator[Server]:
    """`streamlit run dashboard.py` on a free port over data_dir; stopped by its PID afterwards."""
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
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    break
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


# ---------------------------------------------------------------- waits and screenshots


def wait_for_app(page) -> None:
    """The recipe's wait that holds: connected, script finished, no 'Running…', no skeletons.

    Call it after waiting for text the page's script writes: right after connecting, the script
    state is notRunning for a moment before the first run starts.
    """
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", state="attached")
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached")
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stSkeleton']\")")


_SETTLED = """() => {
    const charts = Array.from(document.querySelectorAll("[data-testid='stVegaLiteChart']"));
    const sig = charts.map(e => {
        const s = e.querySelector('svg.marks');
        if (!s) return 'none';
        const m = s.querySelector('path[role=graphics-symbol]');
        return `${s.getAttribute('width')}x${s.getAttribute('height')}:${m ? m.getAttribute('d') : ''}`;
    }).join('|') + '#' + document.querySelector("[data-testid='stMainBlockContainer']")?.scrollHeight
      + '#' + window.innerHeight;
    if (window.__tbSig === sig) { window.__tbSame += 1; } else { window.__tbSig = sig; window.__tbSame = 0; }
    return window.__tbSame >= 2 && !sig.includes('none');
}"""


def settle(page) -> None:
    """Every chart drawn (svg.marks) and the layout unchanged over three polls 200 ms apart."""
    page.wait_for_function(_SETTLED, polling=200)


def screenshot(page, name: str, full: bool = True) -> Path:
    """test-artifacts/e2e/<name>.png: the whole page, or only the viewport when full is False.

    stMain is the scroll container, so a whole-page shot grows the viewport to the content first.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if not full:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path
    height = page.evaluate(
        """() => {
            const b = document.querySelector("[data-testid='stMainBlockContainer']");
            return b ? Math.ceil(b.scrollHeight) + 120 : 0;
        }"""
    )
    path = ARTIFACTS / f"{name}.png"
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(height, 12_000))})
    try:
        settle(page)  # charts redraw after the resize
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(VIEWPORT)
    return path
