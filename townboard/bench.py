"""`python -m townboard bench`: synthetic data at several sizes, then timings as a Markdown table.

For each size a data folder is written to a temporary directory: the shipped sections, goals,
problems and report unchanged, and indicators.csv = the shipped rows plus synthetic rows (many
villages x 10 years, valid by the data contract) up to the requested row count. Size 1 means the
shipped data as it is. Each size is measured in a fresh subprocess (so caches and memory start
clean):

- load + validate (`townboard.data.load`, all four files) vs a bare `pandas.read_csv` of the same
  four files, median of several repeats;
- search latency over a fixed query set (index built once, as the app does per data version),
  median and p95 over every query x repeat;
- warm rerun of each page under AppTest vs a floor page (cached read + one cached-spec chart);
- peak memory (ru_maxrss) of the worker after the data part and after the page part.

Not a test: numbers depend on the machine, which is printed with them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHIPPED = PROJECT_DIR / "data"
COPIED = ("sections.csv", "goals_2021.csv", "problems.csv", "report.txt")

SHELL = "entry script, empty page"
QUERIES = ("低保", "光伏 分红", "537", "村集体收入", "空心房 栋", "不存在的词", "(")
PAGE_QUERY = "低保"
SECTION_PAGE = "民生保障"  # the largest section of the shipped data (most rows at every size)
# (label, url_path); the section page's url_path is its name
PAGES = (
    ("overview", "overview"),
    (f"section ({SECTION_PAGE})", SECTION_PAGE),
    (f"search (q={PAGE_QUERY})", "search"),
    ("goals", "goals"),
    ("compare", "compare"),
    ("data", "data"),
    ("present", "present"),
    ("print", "print"),
)
# Pages left out where one run takes minutes (said in the report): 对比分析 draws one chart per
# multi-year series (about 980 at 10 000 rows); 数据管理 builds a workbook of every row on first open.
SKIPPED = {"compare": 5_000, "data": 50_000}  # url_path -> measured only below this many rows


def pages_for(rows: int) -> list[str]:
    return [url for _, url in PAGES if rows < SKIPPED.get(url, 10**9)]


TOWNS = (
    "铁石口镇",
    "欣山镇",
    "孔田镇",
    "鹤子镇",
    "三百山镇",
    "车头镇",
    "镇岗乡",
    "高云山乡",
    "新龙乡",
    "蔡坊乡",
    "重石乡",
    "长沙乡",
    "浮槎乡",
    "双芫乡",
    "天心镇",
    "龙布镇",
    "版石镇",
    "凤山乡",
)
VILLAGES = (
    "长远村",
    "细车村",
    "乙口村",
    "坝高村",
    "寨背村",
    "铁石村",
    "江背村",
    "罗坑村",
    "黄洞村",
    "上坪村",
    "新田村",
    "石门村",
)
YEARS = tuple(range(2016, 2026))

FLOOR_APP = '''"""Floor page for the benchmark: a cached read of the indicators file and one cached-spec chart."""
import os
import warnings

import altair as alt
import pandas as pd
import streamlit as st

PATH = os.environ["TOWNBOARD_BENCH_FLOOR_CSV"]


@st.cache_data(show_spinner=False)
def read(path: str, mtime_ns: int) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DtypeWarning on mostly-empty columns
        return pd.read_csv(path)


@st.cache_resource(show_spinner=False)
def spec(path: str, mtime_ns: int) -> dict:
    df = read(path, mtime_ns)
    data = df.groupby("section", as_index=False)["value"].count().rename(columns={"value": "rows"})
    return alt.Chart(data).mark_bar().encode(x="rows:Q", y=alt.Y("section:N", sort="-x")).to_dict()


mtime = os.stat(PATH).st_mtime_ns
df = read(PATH, mtime)
st.title("floor")
st.vega_lite_chart(spec=spec(PATH, mtime), width="stretch")
'''


# ---------------------------------------------------------------- synthetic data


def make_dataset(folder: Path, rows: int, seed: int = 20201130) -> int:
    """Write a data folder with `rows` indicator rows (the shipped rows first). Returns the row count."""
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copy2(SHIPPED / name, folder / name)
    shipped = pd.read_csv(SHIPPED / "indicators.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    extra = max(0, rows - len(shipped))
    if extra == 0:
        shutil.copy2(SHIPPED / "indicators.csv", folder / "indicators.csv")
        return len(shipped)
    rng = np.random.default_rng(seed)
    n = np.arange(extra)
    years = np.array(YEARS)[n % len(YEARS)]
    series = n // len(YEARS)  # one series = one (village, shipped indicator) over the ten years
    tpl = shipped.iloc[series % len(shipped)].reset_index(drop=True)
    scope_no = series // len(shipped)
    scopes = np.array(
        [
            f"{TOWNS[(k // len(VILLAGES)) % len(TOWNS)]}{VILLAGES[k % len(VILLAGES)]}"
            for k in range(int(scope_no.max()) + 1)
        ]
    )
    scope = scopes[scope_no]
    base = pd.to_numeric(tpl["value"], errors="coerce").fillna(1.0).to_numpy()
    growth = 1 + 0.04 * (years - 2020)
    value = base * rng.uniform(0.5, 1.5, extra) * growth
    pct = (tpl["unit"] == "%").to_numpy()
    value = np.where(pct, np.clip(value, 0, 100), value)
    value = np.round(value, 2)
    text = pd.Series(value).map(lambda v: f"{v:.2f}".rstrip("0").rstrip("."))
    unit = tpl["unit"].to_numpy()
    indicator = tpl["indicator"].to_numpy()
    qualifier = np.where(rng.random(extra) < 0.1, "余", "")
    qualifier = np.where(pct, "", qualifier)
    df = pd.DataFrame(
        {
            "id": [f"SYN-{k:06d}" for k in range(1, extra + 1)],
            "year": years.astype(str),
            "section": tpl["section"].to_numpy(),
            "topic": tpl["topic"].to_numpy(),
            "indicator": indicator,
            "value": text.to_numpy(),
            "unit": unit,
            "qualifier": qualifier,
            "period": "",
            "scope": scope,
            "target": np.where(pct, tpl["target"].to_numpy(), ""),
            "source": pd.Series(years.astype(str)).to_numpy()
            + "年"
            + scope
            + indicator
            + text.to_numpy()
            + pd.Series(qualifier).to_numpy()
            + unit,
            "note": "合成数据（性能基准）",
            "highlight": "",
            "parent": "",
        }
    )
    out = pd.concat([shipped, df], ignore_index=True)
    out.to_csv(folder / "indicators.csv", index=False, encoding="utf-8-sig")
    return len(out)


# ---------------------------------------------------------------- worker (one size, fresh process)


def _timed(fn, repeats: int, cpu: list[float] | None = None) -> list[float]:
    """Wall times of `repeats` calls; the process CPU time of each call goes into `cpu` when given."""
    out = []
    for _ in range(repeats):
        c = time.process_time()
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
        if cpu is not None:
            cpu.append(time.process_time() - c)
    return out


def _p95(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _repeats(rows: int) -> int:
    return 15 if rows <= 1_000 else 7 if rows <= 10_000 else 5


def measure_data(data_dir: Path, rows: int) -> dict:
    import warnings

    import pandas as pd

    from townboard.data import load
    from townboard.search import build_index, load_report, search

    reps = _repeats(rows)
    files = [data_dir / f for f in ("sections.csv", "indicators.csv", "goals_2021.csv", "problems.csv")]

    def bare():  # what a script without the loader would do: pandas' defaults, same four files
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DtypeWarning: mixed types in mostly-empty columns
            for f in files:
                pd.read_csv(f)

    bundle = load(data_dir)  # warm imports and the OS file cache
    bare()
    if not bundle.ok:
        raise RuntimeError(f"synthetic data did not validate: {[str(i) for i in bundle.errors[:5]]}")
    load_t, bare_t, load_c, bare_c = [], [], [], []
    for _ in range(reps):  # interleaved so that drift in the machine's load hits both alike
        load_t += _timed(lambda: load(data_dir), 1, load_c)
        bare_t += _timed(bare, 1, bare_c)
    t = time.perf_counter()
    index = build_index(bundle, load_report(data_dir))
    index_t = time.perf_counter() - t
    lat, cpu, hits = [], [], {}
    search(index, QUERIES[0])
    for q in QUERIES:
        lat += _timed(lambda q=q: search(index, q), reps * 2, cpu)
        hits[q] = len(search(index, q).hits)
    med = statistics.median
    return {
        "rows": len(bundle.indicators),
        "warnings": len(bundle.warnings),
        "load_s": med(load_t),
        "bare_s": med(bare_t),
        "load_cpu_s": med(load_c),
        "bare_cpu_s": med(bare_c),
        "index_s": index_t,
        "index_rows": len(index),
        "search_median_s": med(lat),
        "search_p95_s": _p95(lat),
        "search_cpu_median_s": med(cpu),
        "search_hits": hits,
        "rss_data_mb": _maxrss_mb(),
    }


def _open(at, url_path: str):
    """Switch an AppTest (after one run) to the page registered under url_path and run it."""
    wanted = {url_path, ""} if url_path == "overview" else {url_path}  # the default page is served at "/"
    hashes = [h for h, info in at._registered_pages.items() if info.get("url_pathname") in wanted]  # noqa: SLF001
    if not hashes:
        raise RuntimeError(f"no page with url_path {url_path!r}")
    at._page_hash = hashes[0]  # noqa: SLF001
    return at.run()


def measure_pages(data_dir: Path, rows: int, which: list[str]) -> dict:
    import altair  # noqa: F401  (import cost outside the timings)
    from streamlit.testing.v1 import AppTest

    os.environ["TOWNBOARD_DATA_DIR"] = str(data_dir)
    os.environ["TOWNBOARD_BENCH_FLOOR_CSV"] = str(data_dir / "indicators.csv")
    floor_script = data_dir.parent / f"floor_app_{rows}.py"
    floor_script.write_text(FLOOR_APP, encoding="utf-8")
    reps = 9 if rows <= 10_000 else 5
    timeout = 600

    def warm(at) -> dict:
        t = time.perf_counter()
        at.run()  # first rerun after opening: may still fill per-page caches
        first_rerun = time.perf_counter() - t
        cpu: list[float] = []
        times = _timed(at.run, reps, cpu)
        return {
            "first_rerun_s": first_rerun,
            "rerun_s": statistics.median(times),
            "rerun_cpu_s": statistics.median(cpu),
            "all": times,
            "errors": [str(e.value)[:200] for e in at.exception],
            "elements": _count_elements(at),
        }

    out: dict[str, dict] = {}
    at = AppTest.from_file(str(floor_script), default_timeout=timeout)
    t = time.perf_counter()
    at.run()
    out["floor"] = {"open_s": time.perf_counter() - t} | warm(at)

    # diagnostic: dashboard.py (config, data state, sidebar, navigation) with the page's own script
    # skipped, by making StreamlitPage.run a no-op for these runs
    from streamlit.navigation.page import StreamlitPage

    page_run = StreamlitPage.run
    StreamlitPage.run = lambda self: None
    try:
        at = AppTest.from_file(str(PROJECT_DIR / "dashboard.py"), default_timeout=timeout)
        t = time.perf_counter()
        at.run()
        out[SHELL] = {"open_s": time.perf_counter() - t} | warm(at)
    finally:
        StreamlitPage.run = page_run

    labels = dict((url, label) for label, url in PAGES)
    for url in which:
        at = AppTest.from_file(str(PROJECT_DIR / "dashboard.py"), default_timeout=timeout)
        at.run()
        t = time.perf_counter()
        _open(at, url)
        if url == "search":
            at.text_input(key="q").input(PAGE_QUERY).run()
        open_s = time.perf_counter() - t
        opening_errors = [str(e.value)[:200] for e in at.exception]
        out[labels[url]] = {"open_s": open_s} | warm(at)
        out[labels[url]]["errors"] = opening_errors + out[labels[url]]["errors"]
    out["rss_pages_mb"] = _maxrss_mb()
    return out


def _count_elements(at) -> int:
    n = 0
    stack = [at._tree]  # noqa: SLF001
    while stack:
        node = stack.pop()
        children = getattr(node, "children", None)
        if children:
            stack.extend(children.values())
        else:
            n += 1
    return n


def worker(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--pages", default="")
    a = p.parse_args(argv)
    data_dir = Path(a.data)
    result = {"data": measure_data(data_dir, a.rows)}
    which = [x for x in a.pages.split(",") if x]
    if which:
        result["pages"] = measure_pages(data_dir, a.rows, which)
    Path(a.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


# ---------------------------------------------------------------- machine and report


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    osname = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                osname = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    versions = []
    for pkg in ("streamlit", "pandas", "pyarrow", "numpy", "altair"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{pkg} {metadata.version(pkg)}")
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": osname,
        "Python": platform.python_version(),
        "packages": ", ".join(versions),
    }


def _ms(s: float | None) -> str:
    if s is None:
        return "–"
    return f"{s * 1000:,.0f}" if s >= 0.01 else f"{s * 1000:.1f}"


def _size_label(rows_req: int, rows: int) -> str:
    return f"1× ({rows:,})" if rows_req == 1 else f"{rows:,}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets(results: list[dict]) -> list[str]:
    """The issue's targets, each with the measured value (wall clock; CPU time in brackets)."""
    out = ["| target | measured | verdict |", "|---|---|---|"]
    one = next((r for r in results if r["rows_req"] == 1 and "pages" in r), None)
    if one:
        p = one["pages"]
        floor, floor_cpu = p["floor"]["rerun_s"], p["floor"]["rerun_cpu_s"]
        for label, _ in PAGES:
            if label in p:
                ratio, cpu_ratio = p[label]["rerun_s"] / floor, p[label]["rerun_cpu_s"] / floor_cpu
                out.append(
                    f"| 1×: {label} warm rerun ≤ 1.5× floor ({_ms(floor)} ms) | {_ms(p[label]['rerun_s'])} ms = "
                    f"{ratio:.1f}× (CPU {cpu_ratio:.1f}×) | {_verdict(ratio <= 1.5)} |"
                )
    big = next((r for r in results if r["data"]["rows"] >= 100_000), None)
    if big:
        d = big["data"]
        ratio, cpu_ratio = d["load_s"] / d["bare_s"], d["load_cpu_s"] / d["bare_cpu_s"]
        out.append(
            f"| 100 000 rows: load + validate ≤ 3× bare read_csv | {_ms(d['load_s'])} vs {_ms(d['bare_s'])} ms = "
            f"{ratio:.1f}× (CPU {cpu_ratio:.1f}×) | {_verdict(ratio <= 3)} |"
        )
        out.append(
            f"| 100 000 rows: search median ≤ 50 ms | {_ms(d['search_median_s'])} ms "
            f"(CPU {_ms(d['search_cpu_median_s'])} ms; p95 {_ms(d['search_p95_s'])} ms) | "
            f"{_verdict(d['search_median_s'] <= 0.05)} |"
        )
        sec = big.get("pages", {}).get(PAGES[1][0])
        if sec:
            out.append(
                f"| 100 000 rows: section page warm rerun ≤ 1 s | {_ms(sec['rerun_s'])} ms "
                f"(CPU {_ms(sec['rerun_cpu_s'])} ms) | {_verdict(sec['rerun_s'] <= 1)} |"
            )
    if len(out) == 2:
        out.append("| (none: the targets are for 1× with pages, and for 100 000 rows) | – | – |")
    return out


def report(results: list[dict], info: dict[str, str], wall: float) -> str:
    lines = ["## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in info.items()]
    lines += ["", "## Targets", ""] + targets(results)
    lines += ["", "## Load + validate and search (median; wall clock, CPU time of the process in brackets)", ""]
    lines += [
        "| indicator rows | load + validate (ms) | bare read_csv (ms) | ratio | index build (ms) | "
        "search median (ms) | search p95 (ms) | peak RSS after data (MB) | peak RSS after pages (MB) | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        d = r["data"]
        rss_pages = r.get("pages", {}).get("rss_pages_mb")
        lines.append(
            f"| {_size_label(r['rows_req'], d['rows'])} | {_ms(d['load_s'])} ({_ms(d['load_cpu_s'])}) | "
            f"{_ms(d['bare_s'])} ({_ms(d['bare_cpu_s'])}) | {d['load_s'] / d['bare_s']:.1f}× "
            f"({d['load_cpu_s'] / d['bare_cpu_s']:.1f}×) | {_ms(d['index_s'])} | "
            f"{_ms(d['search_median_s'])} ({_ms(d['search_cpu_median_s'])}) | {_ms(d['search_p95_s'])} | "
            f"{d['rss_data_mb']:.0f} | {f'{rss_pages:.0f}' if rss_pages else '–'} | {r.get('loadavg', 0):.1f} |"
        )
    with_pages = [r for r in results if "pages" in r]
    if with_pages:
        lines += ["", "## Warm page rerun under AppTest (median ms; × = ratio to the floor page)", ""]
        head = "| page | " + " | ".join(_size_label(r["rows_req"], r["data"]["rows"]) for r in with_pages)
        head += " | elements (1st size) |"
        lines += [head, "|---|" + "---:|" * (len(with_pages) + 1)]
        names = ["floor", SHELL] + [label for label, _ in PAGES]
        for name in names:
            cells = []
            for r in with_pages:
                pg = r["pages"].get(name)
                floor = r["pages"]["floor"]["rerun_s"]
                if pg is None:
                    cells.append("skipped")
                    continue
                err = f" **{len(pg['errors'])} errors**" if pg["errors"] else ""
                ratio = "" if name == "floor" else f" ({pg['rerun_s'] / floor:.1f}×)"
                cells.append(f"{_ms(pg['rerun_s'])}{ratio}{err}")
            first = with_pages[0]["pages"].get(name, {})
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {first.get('elements', '–')} |")
        lines += ["", "First open of each page in a fresh AppTest (its caches still cold, ms):", ""]
        lines += [head.replace(" elements (1st size) |", ""), "|---|" + "---:|" * len(with_pages)]
        for name in names:
            cells = [_ms(r["pages"][name]["open_s"]) if name in r["pages"] else "–" for r in with_pages]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "## Search hits per query", ""]
    lines += ["| query | " + " | ".join(_size_label(r["rows_req"], r["data"]["rows"]) for r in results) + " |"]
    lines += ["|---|" + "---:|" * len(results)]
    for q in QUERIES:
        lines.append(f"| `{q}` | " + " | ".join(str(r["data"]["search_hits"][q]) for r in results) + " |")
    lines += ["", f"Whole benchmark: {wall:.0f} s wall time."]
    return "\n".join(lines) + "\n"


def main(args) -> int:
    sizes = [int(s) for s in str(getattr(args, "sizes", "1,1000,10000,100000")).split(",") if s.strip()]
    skip_pages = bool(getattr(args, "skip_pages", False))
    output = getattr(args, "output", None)
    info = machine()
    print("机器 / machine: " + "; ".join(f"{k}: {v}" for k, v in info.items()), flush=True)
    start = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="townboard-bench-") as tmp:
        for size in sizes:
            folder = Path(tmp) / f"data_{size}"
            t = time.perf_counter()
            rows = make_dataset(folder, size)
            gen_s = time.perf_counter() - t
            pages = [] if skip_pages else pages_for(rows)
            out = Path(tmp) / f"result_{size}.json"
            cmd = [sys.executable, "-m", "townboard.bench", "--worker"]
            cmd += ["--data", str(folder), "--rows", str(rows), "--out", str(out), "--pages", ",".join(pages)]
            print(f"[{rows:,} 行] 数据已生成（{gen_s:.1f} s），开始计时…", flush=True)
            t = time.perf_counter()
            proc = subprocess.run(cmd, cwd=PROJECT_DIR, capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
                print(f"[{rows:,} 行] 计时失败（退出码 {proc.returncode}）", file=sys.stderr)
                return 1
            r = json.loads(out.read_text(encoding="utf-8"))
            r["rows_req"] = size
            r["loadavg"] = os.getloadavg()[0]
            results.append(r)
            print(f"[{rows:,} 行] 完成（{time.perf_counter() - t:.0f} s）", flush=True)
    text = report(results, info, time.perf_counter() - start)
    print()
    print(text)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"已写入 {output}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.exit(worker(sys.argv[2:]))
    sys.exit(main(argparse.Namespace(sizes="1,1000,10000,100000", skip_pages=False, output=None)))
