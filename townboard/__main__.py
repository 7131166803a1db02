"""Command line: `python -m townboard validate [PATH]` and `python -m townboard bench`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from townboard import schema
from townboard.data import data_dir_from_env, load
from townboard.validate import validate_file


def _print_issues(issues) -> None:
    for issue in issues:
        print(f"  {issue}")


def cmd_validate(args) -> int:
    path = Path(args.path).expanduser() if args.path else data_dir_from_env()
    if not path.exists():
        print(f"找不到 {path}：请给出数据文件夹或一个数据文件的路径。")
        return 1
    if path.is_dir():
        bundle = load(path)
        errors, warnings = bundle.errors, bundle.warnings
        counts = {k: bundle.files[k].rows for k in schema.FILE_KINDS if bundle.files[k].path}
        names = {k: bundle.files[k].name for k in counts}
    else:
        kind, issues, rows = validate_file(path)
        errors = [i for i in issues if i.level == "error"]
        warnings = [i for i in issues if i.level != "error"]
        counts = {kind: rows} if kind else {}
        names = {kind: path.name} if kind else {}
    if errors:
        print(f"校验未通过：{path} 中有 {len(errors)} 处错误。")
        _print_issues(errors)
    if warnings:
        print(f"另有 {len(warnings)} 处提醒（不影响使用）：")
        _print_issues(warnings)
    if errors:
        return 1
    summary = "，".join(f"{names[k]} {n} 行" for k, n in counts.items())
    print(f"校验通过（OK）：{summary}。")
    return 0


def cmd_bench(args) -> int:
    from townboard.bench import main as bench_main

    return bench_main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m townboard", description="铁石口镇工作成效看板 命令行工具")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="校验数据文件夹或单个数据文件")
    v.add_argument("path", nargs="?", help="数据文件夹或文件；默认 TOWNBOARD_DATA_DIR 或 data/")
    v.set_defaults(func=cmd_validate)
    b = sub.add_parser("bench", help="性能基准（生成合成数据并计时）")
    b.add_argument("--sizes", default="1,1000,10000,100000", help="指标行数，逗号分隔；1 表示随附数据")
    b.add_argument("--skip-pages", action="store_true", help="跳过页面重绘计时")
    b.add_argument("--output", help="把结果表写入此 Markdown 文件")
    b.set_defaults(func=cmd_bench)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head/more that closed early
        return 1


if __name__ == "__main__":
    sys.exit(main())
