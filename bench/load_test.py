"""Load test: N concurrent headless browser sessions against one townboard server on 127.0.0.1.

    .venv/bin/python bench/load_test.py [--sessions 20] [--seconds 60] [--data DIR] [--output FILE]

Starts one `streamlit run dashboard.py` (as the e2e tests do), one Debian chromium
(/usr/bin/chromium, never a downloaded browser) with one browser context per session. Sessions start
--stagger seconds apart; each opens the app (its "first load", reported apart) and then walks it
through the sidebar for --seconds: 总览 -> a section page (the seven in turn) -> 搜索 -> a query typed
into the search box (a fixed query set in turn) -> 2021目标 -> 对比分析, again and again.

Render time of a step = from the click (or Enter) until the new page's title is there, the app's
script state is notRunning, the "Running…" widget is gone and no stSkeleton placeholder is left.
Errors = Streamlit exception boxes, steps that time out (60 s) and lost connections; the target is 0.
The server's memory is sampled from /proc/<pid>/status (VmRSS every 0.25 s, and VmHWM, the kernel's
own peak, at the end).

The browsers run on the same machine as the server, so render times include the browser's own work
and the CPU contention between 20 renderers and the server; on a 2-core machine that inflates them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))  # run as a script: make the townboard package importable

from townboard.browser import CHROME_ARGS, CHROMIUM  # noqa: E402

SECTIONS = ("党建引领", "脱贫攻坚", "产业发展", "项目建设", "生态环境", "民生保障", "疫情防控")
QUERIES = ("低保", "光伏 分红", "537", "村集体收入", "空心房 栋", "不存在的词", "(")
SEARCH_LABEL = "输入关键词（多个词用空格分开，须同时出现）"
STEP_TIMEOUT_MS = 60_000
FIRST_LOAD_TIMEOUT_MS = 180_000  # 20 renderers fetching and compiling Streamlit's bundle at once


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, data_dir: str | None, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ)
    if data_dir:
        env["TOWNBOARD_DATA_DIR"] = str(Path(data_dir).resolve())
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true"]
    cmd += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    cmd += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("streamlit did not answer /_stcore/health within 60 s")


class MemorySampler(threading.Thread):
    """Samples VmRSS of one process; peak is the largest sample, hwm the kernel's VmHWM."""

    def __init__(self, pid: int, interval: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int]] = []
        self.hwm_kb = 0
        self._stop_event = threading.Event()

    def _read(self) -> dict[str, int]:
        out = {}
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
        except OSError:
            pass
        return out

    def run(self) -> None:
        while not self._stop_event.is_set():
            v = self._read()
            if "VmRSS" in v:
                self.samples.append((time.time(), v["VmRSS"]))
            self.hwm_kb = max(self.hwm_kb, v.get("VmHWM", 0))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=2)
        self.hwm_kb = max(self.hwm_kb, self._read().get("VmHWM", 0))

    @property
    def peak_kb(self) -> int:
        return max((kb for _, kb in self.samples), default=0)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- one browser session


async def wait_idle(page) -> None:
    """The recipe's wait: connected, script finished, no 'Running…' widget, no skeleton left."""
    await page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", state="attached")
    await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")
    await page.locator("[data-testid='stStatusWidget']").wait_for(state="detached")
    await page.wait_for_function("() => !document.querySelector(\"[data-testid='stSkeleton']\")")


async def _title(page, text: str) -> None:
    await page.locator("h1", has_text=text).first.wait_for(state="visible")


async def _nav_link(page, name: str):
    nav = page.get_by_test_id("stSidebarNav")
    link = nav.get_by_role("link", name=name, exact=True)
    if not await link.count():  # a long page list is folded behind "View more"
        more = nav.get_by_role("button", name=re.compile("View"))
        if await more.count():
            await more.first.click()
    return link.first


class Session:
    def __init__(self, n: int, browser, base: str, seconds: float, stagger: float):
        self.n, self.browser, self.base, self.seconds, self.stagger = n, browser, base, seconds, stagger
        self.deadline = 0.0
        self.steps: list[dict] = []
        self.errors: list[str] = []

    async def step(self, page, kind: str, action, marker) -> None:
        t = time.perf_counter()
        try:
            await action()
            await marker()
            await wait_idle(page)
        except Exception as exc:  # noqa: BLE001 - every failure of a step is counted as an error
            self.errors.append(f"session {self.n} {kind}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
            self.steps.append({"kind": kind, "s": time.perf_counter() - t, "ok": False})
            return
        took = time.perf_counter() - t
        exc_boxes = await page.locator("[data-testid='stException']").count()
        if exc_boxes:
            self.errors.append(f"session {self.n} {kind}: {exc_boxes} exception box(es) on the page")
        self.steps.append({"kind": kind, "s": took, "ok": not exc_boxes})

    async def run(self) -> None:
        await asyncio.sleep(self.stagger)
        ctx = await self.browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page = await ctx.new_page()
        page.set_default_timeout(FIRST_LOAD_TIMEOUT_MS)
        try:
            await self.step(
                page,
                "first load",
                lambda: page.goto(self.base, wait_until="commit"),
                lambda: _title(page, "工作成效看板"),
            )
            page.set_default_timeout(STEP_TIMEOUT_MS)
            self.deadline = time.time() + self.seconds  # each session walks for `seconds` once it is in
            i = self.n  # sessions start at different sections and queries
            while time.time() < self.deadline:
                section = SECTIONS[i % len(SECTIONS)]
                query = QUERIES[i % len(QUERIES)]
                i += 1
                walk = [
                    ("overview", "总览", "工作成效看板"),
                    ("section", section, section),
                    ("search page", "搜索", "搜索"),
                    ("search", None, None),
                    ("goals", "2021目标", "2021年目标跟踪"),
                    ("compare", "对比分析", "对比分析"),
                ]
                for kind, link_name, title in walk:
                    if time.time() >= self.deadline:
                        break
                    if kind == "search":
                        # the search page's own box: after a search typed into the sidebar box, the
                        # sidebar links all lead back to the search page (see docs/performance.md)
                        box = page.get_by_test_id("stMain").get_by_label(SEARCH_LABEL)

                        async def type_query(box=box, query=query):
                            await box.fill(query)
                            await box.press("Enter")

                        async def results(query=query):
                            await page.wait_for_url(lambda url, q=query: parse_qs(urlparse(url).query).get("q") == [q])
                            await page.get_by_text(re.compile("共找到|没有找到")).first.wait_for(state="visible")

                        await self.step(page, kind, type_query, results)
                    else:

                        async def click(link_name=link_name):
                            await (await _nav_link(page, link_name)).click()

                        await self.step(page, kind, click, lambda title=title: _title(page, title))
        finally:
            await ctx.close()


async def drive(base: str, sessions: int, seconds: float, stagger: float) -> tuple[list[Session], float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        try:
            start = time.time()
            runs = [Session(n, browser, base, seconds, n * stagger) for n in range(sessions)]
            await asyncio.gather(*(s.run() for s in runs))
            return runs, time.time() - start
        finally:
            await browser.close()


# ---------------------------------------------------------------- report


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))] if s else float("nan")


def summarise(runs: list[Session], wall: float, mem: MemorySampler, cpu_s: float, args) -> dict:
    steps = [st for r in runs for st in r.steps]
    ok = [st["s"] for st in steps if st["ok"] and st["kind"] != "first load"]  # walking steps only
    by_kind = {}
    for kind in ("first load", "overview", "section", "search page", "search", "goals", "compare"):
        ts = [st["s"] for st in steps if st["kind"] == kind and st["ok"]]
        if ts:
            by_kind[kind] = {"n": len(ts), "p50": statistics.median(ts), "p95": _pct(ts, 0.95), "max": max(ts)}
    errors = [e for r in runs for e in r.errors]
    return {
        "sessions": args.sessions,
        "seconds": args.seconds,
        "wall_s": wall,
        "steps": len(steps),
        "errors": len(errors),
        "error_list": errors[:50],
        "p50_s": statistics.median(ok) if ok else None,
        "p95_s": _pct(ok, 0.95) if ok else None,
        "max_s": max(ok) if ok else None,
        "by_kind": by_kind,
        "server_peak_rss_mb": mem.peak_kb / 1024,
        "server_hwm_mb": mem.hwm_kb / 1024,
        "server_rss_start_mb": (mem.samples[0][1] / 1024) if mem.samples else None,
        "server_cpu_s": cpu_s,
        "cpus": os.cpu_count(),
        "loadavg_end": os.getloadavg(),
    }


def markdown(r: dict) -> str:
    ms = lambda s: "–" if s is None else f"{s * 1000:,.0f}"  # noqa: E731
    lines = [
        f"{r['sessions']} sessions × {r['seconds']:.0f} s against one server "
        f"({r['cpus']} CPUs shared by server and browsers; load average at the end "
        f"{r['loadavg_end'][0]:.1f}).",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| steps completed | {r['steps']} |",
        f"| errors (exception boxes, timeouts, lost connections) | **{r['errors']}** |",
        f"| render time p50, walking steps (ms) | {ms(r['p50_s'])} |",
        f"| render time p95, walking steps (ms) | {ms(r['p95_s'])} |",
        f"| render time max, walking steps (ms) | {ms(r['max_s'])} |",
        f"| server RSS at start (MB) | {r['server_rss_start_mb'] or 0:.0f} |",
        f"| server peak RSS, sampled (MB) | {r['server_peak_rss_mb']:.0f} |",
        f"| server VmHWM (MB) | {r['server_hwm_mb']:.0f} |",
        f"| server CPU time (s) over {r['wall_s']:.0f} s | {r['server_cpu_s']:.0f} |",
        "",
        "| step | n | p50 (ms) | p95 (ms) | max (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, v in r["by_kind"].items():
        lines.append(f"| {kind} | {v['n']} | {ms(v['p50'])} | {ms(v['p95'])} | {ms(v['max'])} |")
    if r["error_list"]:
        lines += ["", "Errors:", ""] + [f"- {e}" for e in r["error_list"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--stagger", type=float, default=1.5, help="seconds between session starts")
    ap.add_argument("--data", help="data folder for the server (TOWNBOARD_DATA_DIR); default: shipped data/")
    ap.add_argument("--output", help="write the Markdown summary here (and the raw numbers next to it as .json)")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: apt-get install -y chromium fonts-noto-cjk", file=sys.stderr)
        return 2
    port = _free_port()
    log_path = Path(tempfile.gettempdir()) / f"townboard-load-{port}.log"
    print(f"starting streamlit on 127.0.0.1:{port} (log {log_path})", flush=True)
    server = start_server(port, args.data, log_path)
    mem = MemorySampler(server.pid)
    mem.start()
    cpu0 = cpu_seconds(server.pid)
    try:
        print(f"{args.sessions} sessions for {args.seconds:.0f} s …", flush=True)
        runs, wall = asyncio.run(drive(f"http://127.0.0.1:{port}", args.sessions, args.seconds, args.stagger))
        cpu_s = cpu_seconds(server.pid) - cpu0
    finally:
        mem.stop()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    result = summarise(runs, wall, mem, cpu_s, args)
    result["machine"] = f"{platform.node()} {platform.machine()} Python {platform.python_version()}"
    text = markdown(result)
    print(text)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        Path(args.output).with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
