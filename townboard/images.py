"""Chart PNGs on the server with vl-convert, with a Chinese font found and set explicitly.

vl-convert renders text with its own font database: without a CJK font every Chinese character
comes out as a box, and with only the system fallback it may pick a Serif face. So this module
looks for a CJK font folder (TOWNBOARD_FONT_DIR first), registers it once per process, and writes
the family into the spec's config before converting.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

FONT_DIR_ENV = "TOWNBOARD_FONT_DIR"
DEFAULT_WIDTH = 800

MISSING_FONT_MESSAGE = (
    "找不到中文字体，图片中的中文会显示成方框。请安装 fonts-noto-cjk（Debian/Ubuntu）"
    "或在 Windows 上确认 C:\\Windows\\Fonts 中有微软雅黑，或设置环境变量 TOWNBOARD_FONT_DIR 指向字体文件夹。"
)

# (lower-case fragment of a file name, font family), best first: sans faces before serif ones.
FONT_FILES: tuple[tuple[str, str], ...] = (
    ("notosanscjk", "Noto Sans CJK SC"),
    ("sourcehansanssc", "Source Han Sans SC"),
    ("sourcehansans", "Source Han Sans SC"),
    ("msyh", "Microsoft YaHei"),
    ("simhei", "SimHei"),
    ("wqy-microhei", "WenQuanYi Micro Hei"),
    ("wqy-zenhei", "WenQuanYi Zen Hei"),
    ("pingfang", "PingFang SC"),
    ("hiragino sans gb", "Hiragino Sans GB"),
    ("notoserifcjk", "Noto Serif CJK SC"),
    ("simsun", "SimSun"),
)
FONT_SUFFIXES = (".ttc", ".ttf", ".otf", ".otc")

LINUX_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/opentype/noto-cjk",
    "/usr/share/fonts/truetype/wqy",
)
LINUX_ROOTS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
WINDOWS_DIRS = ("C:\\Windows\\Fonts",)
MAC_DIRS = ("/System/Library/Fonts", "/Library/Fonts", "~/Library/Fonts")


class CJKFontMissing(Exception):
    """No Chinese font for vl-convert: the chart's Chinese would render as boxes."""

    def __init__(self, message: str = MISSING_FONT_MESSAGE):
        super().__init__(message)


class CJKFont(NamedTuple):
    dirs: list[Path]
    family: str | None


def _family_of(name: str) -> tuple[int, str] | None:
    """(rank, family) for a font file name we know, else None."""
    low = name.lower()
    if not low.endswith(FONT_SUFFIXES):
        return None
    for rank, (fragment, family) in enumerate(FONT_FILES):
        if fragment in low:
            return rank, family
    return None


def _scan(folder: Path, recursive: bool) -> list[tuple[int, str, Path]]:
    """Known CJK font files in folder: (rank, family, folder holding the file)."""
    found = []
    try:
        files = folder.rglob("*") if recursive else folder.iterdir()
        for f in files:
            hit = _family_of(f.name)
            if hit and f.is_file():
                found.append((hit[0], hit[1], f.parent))
    except OSError:
        pass
    return found


def _has_fonts(folder: Path) -> bool:
    try:
        return any(f.suffix.lower() in FONT_SUFFIXES for f in folder.rglob("*"))
    except OSError:
        return False


def find_cjk_font_dirs() -> CJKFont:
    """Folders holding a Chinese font and the family to ask for; family None when nothing is found.

    TOWNBOARD_FONT_DIR wins when it names a folder with font files (the family is taken from a
    known file name, else Noto Sans CJK SC is assumed); then the usual places of Linux, Windows
    and macOS are searched.
    """
    override = os.environ.get(FONT_DIR_ENV, "").strip()
    if override:
        folder = Path(override).expanduser()
        if folder.is_dir() and _has_fonts(folder):
            hits = sorted(_scan(folder, recursive=True))
            family = hits[0][1] if hits else FONT_FILES[0][1]
            dirs = list(dict.fromkeys([folder] + [h[2] for h in hits]))
            return CJKFont(dirs, family)
    if sys.platform.startswith("win"):
        places = [(Path(os.environ.get("WINDIR", "C:\\Windows")) / "Fonts", False)]
        places += [(Path(d), False) for d in WINDOWS_DIRS]
        local = os.environ.get("LOCALAPPDATA")
        if local:
            places.append((Path(local) / "Microsoft" / "Windows" / "Fonts", False))
    elif sys.platform == "darwin":
        places = [(Path(d).expanduser(), True) for d in MAC_DIRS]
    else:
        places = [(Path(d), False) for d in LINUX_DIRS] + [(Path(d).expanduser(), True) for d in LINUX_ROOTS]
    hits: list[tuple[int, str, Path]] = []
    for folder, recursive in places:
        if folder.is_dir():
            hits += _scan(folder, recursive)
    if not hits:
        return CJKFont([], None)
    hits.sort(key=lambda h: h[0])
    family = hits[0][1]
    dirs = list(dict.fromkeys(h[2] for h in hits if h[1] == family))
    return CJKFont(dirs, family)


# ---------------------------------------------------------------- registration (once per process)

_lock = threading.Lock()
_font: CJKFont | None = None
_registered: set[str] = set()


def ensure_font() -> str:
    """Register the CJK font folders with vl-convert (once per process) and return the family.

    Raises CJKFontMissing when no Chinese font is found. The result is remembered, so a font
    installed later needs a restart (or reset_font_cache()).
    """
    global _font
    with _lock:
        if _font is None:
            _font = find_cjk_font_dirs()
        if _font.family is None:
            raise CJKFontMissing()
        import vl_convert

        for d in _font.dirs:
            key = str(d.resolve())
            if key not in _registered:
                try:
                    vl_convert.register_font_directory(key)
                except Exception:  # an unreadable folder: fonts vl-convert already knows may still do
                    log.warning("could not register font folder %s", key, exc_info=True)
                _registered.add(key)
        return _font.family


def reset_font_cache() -> None:
    """Forget the font found (tests, or after installing a font); registrations stay."""
    global _font
    with _lock:
        _font = None


# ---------------------------------------------------------------- conversion


CACHE_SIZE = 64  # PNGs kept (about 0.2 MB each): a second deck of the same data needs no conversion
_png_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


def _fix_sizes(node, width: int):
    """Replace width "container" (which vl-convert cannot size) by a fixed width, everywhere."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if key == "width" and value == "container":
                node[key] = width
            elif key == "height" and value == "container":
                node[key] = max(120, width // 3)
            else:
                _fix_sizes(value, width)
    elif isinstance(node, list):
        for item in node:
            _fix_sizes(item, width)
    return node


def prepare_spec(spec: dict, family: str, width: int = DEFAULT_WIDTH) -> dict:
    """A copy of spec with fixed sizes and the font set on config, titles, axes, legends and marks."""
    out = _fix_sizes(copy.deepcopy(spec), width)
    config = out.setdefault("config", {})
    config["font"] = family
    for part, keys in (
        ("title", ("font", "subtitleFont")),
        ("axis", ("labelFont", "titleFont")),
        ("legend", ("labelFont", "titleFont")),
        ("header", ("labelFont", "titleFont")),
        ("text", ("font",)),
        ("mark", ("font",)),
    ):
        section = config.setdefault(part, {})
        for key in keys:
            section[key] = family
    return out


def chart_png(spec: dict, scale: float = 2.0, *, width: int = DEFAULT_WIDTH) -> bytes:
    """PNG bytes of a Vega-Lite spec (e.g. charts.to_spec(chart)), with Chinese text rendered.

    width replaces "container" widths (the plot area, axis labels come on top of it). The last
    CACHE_SIZE results are kept by spec, scale and width. Raises CJKFontMissing when no Chinese
    font can be found.
    """
    family = ensure_font()
    prepared = prepare_spec(spec, family, width)
    key = hashlib.blake2b(
        f"{scale}|{json.dumps(prepared, sort_keys=True, default=str)}".encode(), digest_size=16
    ).hexdigest()
    with _cache_lock:
        if key in _png_cache:
            _png_cache.move_to_end(key)
            return _png_cache[key]
    import vl_convert

    png = vl_convert.vegalite_to_png(prepared, scale=scale)
    with _cache_lock:
        _png_cache[key] = png
        while len(_png_cache) > CACHE_SIZE:
            _png_cache.popitem(last=False)
    return png
