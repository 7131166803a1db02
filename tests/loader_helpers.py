"""Small builders for data folders used by tests/test_loader.py.

Every folder is built in a temporary directory: sections.csv is copied from the shipped data
(it is final), the other three files are written here from a few valid rows, so a test changes
exactly the cells it is about.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHIPPED_SECTIONS = PROJECT_DIR / "data" / "sections.csv"

# The contract's headers (shared/guide/data-contract.md), in contract order, plus the project's
# optional indicator columns highlight and parent.
HEADERS = {
    "sections": ["section", "order", "heading", "summary"],
    "indicators": [
        "id", "year", "section", "topic", "indicator", "value", "unit", "qualifier", "period",
        "scope", "target", "source", "note", "highlight", "parent",
    ],
    "goals_2021": [
        "id", "group", "theme", "task", "source", "section", "baseline_ids", "target", "unit",
        "actual", "owner", "due", "status", "progress", "updated", "note",
    ],
    "problems": ["id", "problem", "detail", "goal_ids"],
}  # fmt: skip

# The Chinese alias of every column, as the contract lists it.
ALIASES = {
    "sections": {"section": "板块", "order": "顺序", "heading": "标题", "summary": "概述"},
    "indicators": {
        "id": "编号", "year": "年份", "section": "板块", "topic": "专题", "indicator": "指标",
        "value": "数值", "unit": "单位", "qualifier": "限定", "period": "时段", "scope": "范围",
        "target": "目标值", "source": "原文", "note": "备注", "highlight": "重点", "parent": "上级指标",
    },
    "goals_2021": {
        "id": "编号", "group": "类别", "theme": "方向", "task": "任务", "source": "原文",
        "section": "板块", "baseline_ids": "基线指标", "target": "目标值", "unit": "单位",
        "actual": "完成值", "owner": "责任人", "due": "完成时限", "status": "状态",
        "progress": "进度", "updated": "更新日期", "note": "备注",
    },
    "problems": {"id": "编号", "problem": "问题", "detail": "说明", "goal_ids": "对应目标"},
}  # fmt: skip

REQUIRED = {
    "sections": ["section", "order", "heading"],
    "indicators": ["id", "year", "section", "topic", "indicator", "value", "unit", "source"],
    "goals_2021": ["id", "group", "theme", "task", "source", "status", "progress"],
    "problems": ["id", "problem", "detail"],
}


def label(kind: str, column: str) -> str:
    """How messages name a column: value（数值）."""
    return f"{column}（{ALIASES[kind][column]}）"


def good_indicators() -> list[dict[str, str]]:
    return [
        {"id": "DJ-1", "year": "2020", "section": "党建引领", "topic": "压实党建责任", "indicator": "村集体收入",
         "value": "537.65", "unit": "万元", "scope": "14个村", "source": "14个村集体收入537.65万", "highlight": "1"},
        {"id": "MS-1", "year": "2020", "section": "民生保障", "topic": "社会保障", "indicator": "城乡居民参保",
         "value": "38051", "unit": "人", "source": "城乡居民参保38051人"},
        {"id": "ST-1", "year": "2020", "section": "生态环境", "topic": "农村人居环境", "indicator": "村民小组整治验收完成率",
         "value": "100", "unit": "%", "target": "100", "source": "174个村民小组100%完成整治验收"},
        {"id": "TP-1", "year": "2020", "section": "脱贫攻坚", "topic": "问题整改", "indicator": "整改措施",
         "value": "130", "unit": "条", "source": "130条整改措施全部销号"},
        {"id": "TP-2", "year": "2020", "section": "脱贫攻坚", "topic": "问题整改", "indicator": "已销号整改措施",
         "value": "130", "unit": "条", "source": "130条整改措施全部销号", "parent": "TP-1"},
    ]  # fmt: skip


def good_goals() -> list[dict[str, str]]:
    return [
        {"id": "G01", "group": "一条主线", "theme": "以高质量发展为主线", "task": "加快工业转型升级",
         "source": "以高质量发展为主线,加快工业转型升级", "section": "产业发展", "status": "未开始", "progress": "0"},
        {"id": "G02", "group": "两个重点", "theme": "巩固脱贫成果", "task": "巩固130条整改措施成果",
         "source": "巩固脱贫攻坚成果", "section": "脱贫攻坚", "baseline_ids": "TP-1;TP-2", "target": "130",
         "unit": "条", "actual": "60", "owner": "扶贫办", "due": "2021-12-31", "status": "进行中",
         "progress": "45", "updated": "2021-03-01"},
        {"id": "G03", "group": "三个导向", "theme": "树牢绿色导向", "task": "村集体收入稳步增长",
         "source": "壮大村集体经济", "section": "党建引领", "baseline_ids": "DJ-1", "target": "600",
         "unit": "万元", "due": "2021-06-30", "status": "已完成", "progress": "100"},
    ]  # fmt: skip


def good_problems() -> list[dict[str, str]]:
    return [
        {"id": "P1", "problem": "转型升级步伐偏慢", "detail": "工业转型升级进度慢", "goal_ids": "G01"},
        {"id": "P2", "problem": "巩固脱贫压力大", "detail": "部分脱贫户收入不稳定", "goal_ids": "G01；G02"},
    ]


def good_rows() -> dict[str, list[dict[str, str]]]:
    return {"indicators": good_indicators(), "goals_2021": good_goals(), "problems": good_problems()}


def shipped_sections() -> list[dict[str, str]]:
    with SHIPPED_SECTIONS.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def csv_text(header: list[str], rows: list[dict[str, str]], newline: str = "\n") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    return buf.getvalue()


def table_text(kind: str, rows, *, drop=(), header_names=None, newline: str = "\n") -> str:
    """CSV text of `rows` with the contract header minus `drop`; header_names renames headers."""
    cols = [h for h in HEADERS[kind] if h not in drop]
    text = csv_text(cols, rows, newline)
    if header_names:
        first, rest = text.split(newline, 1)
        names = [header_names.get(c, c) for c in cols]
        first = csv_text(names, [], newline).rstrip(newline)
        text = first + newline + rest
    return text


def make_data_dir(root: Path, rows=None, *, drop=None, skip=()) -> Path:
    """A complete, valid data folder under root (UTF-8 with BOM, LF).

    rows: {kind: list of row dicts} overriding the good rows; drop: {kind: columns to leave out};
    skip: kinds whose file is not written (the test writes it itself).
    """
    root.mkdir(parents=True, exist_ok=True)
    data = good_rows()
    data.update(rows or {})
    drop = drop or {}
    if "sections" in data or "sections" in drop:
        data.setdefault("sections", shipped_sections())
    elif "sections" not in skip:
        shutil.copy(SHIPPED_SECTIONS, root / "sections.csv")
    for kind, kind_rows in data.items():
        if kind in skip:
            continue
        text = table_text(kind, kind_rows, drop=drop.get(kind, ()))
        (root / f"{kind}.csv").write_text(text, encoding="utf-8-sig")
    return root


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m townboard ...` as a user runs it: from the project folder, TOWNBOARD_DATA_DIR unset."""
    env = {k: v for k, v in os.environ.items() if k != "TOWNBOARD_DATA_DIR"}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "townboard", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


_MANY_DRIVER = r"""
import contextlib, io, json, runpy, sys, traceback
results = []
for args in json.loads(sys.stdin.read()):
    out, err, code = io.StringIO(), io.StringIO(), None
    sys.argv = ["townboard", *args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_module("townboard", run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()  # what `python -m townboard` would print
            code = 1
    results.append([code, out.getvalue(), err.getvalue()])
sys.__stdout__.write(json.dumps(results))
"""


def run_cli_many(arg_lists: list[list[str]], timeout: float = 120) -> list[tuple[int | None, str, str]]:
    """Run `python -m townboard ARGS` for each ARGS in one fresh interpreter (pandas is imported
    once instead of once per call). Same entry point, cwd and environment as run_cli.
    Returns (exit code, stdout, stderr) per call."""
    import json

    env = {k: v for k, v in os.environ.items() if k != "TOWNBOARD_DATA_DIR"}
    env["PYTHONIOENCODING"] = "utf-8"
    proc = subprocess.run(
        [sys.executable, "-c", _MANY_DRIVER],
        input=json.dumps(arg_lists),
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr
    return [tuple(r) for r in json.loads(proc.stdout)]
