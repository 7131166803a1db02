"""Server-side chart PNGs (townboard.images): valid PNG, size from the scale, Chinese really rendered."""

from __future__ import annotations

import struct
import zlib

import pandas as pd
import pytest

from townboard import charts, images

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NO_FONT_REASON = (
    "no CJK font found for vl-convert (install fonts-noto-cjk or set TOWNBOARD_FONT_DIR): "
    "cannot check that Chinese renders"
)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE, "not a PNG signature"
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", png[16:24])


def png_pixels(png: bytes) -> bytes:
    """The decompressed image data (all IDAT chunks): equal for equal pixels from the same encoder."""
    pos, data = 8, b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        if kind == b"IDAT":
            data += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return zlib.decompress(data)


def two_indicators() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["T-1", "T-2"],
            "year": pd.array([2020, 2020], dtype="Int64"),
            "section": ["党建引领", "党建引领"],
            "topic": ["夯实党建基础", "夯实党建基础"],
            "indicator": ["村集体收入", "村集体经营性收入"],
            "value": [537.65, 217.96],
            "value_text": ["537.65", "217.96"],
            "unit": ["万元", "万元"],
            "qualifier": ["", ""],
            "period": ["1-11月", "1-11月"],
            "scope": ["", ""],
            "target": [float("nan"), float("nan")],
            "source": ["14个村共完成村集体收入537.65万", "村集体经营性收入217.96万元"],
            "note": ["", ""],
            "highlight": pd.array([1, 2], dtype="Int64"),
            "parent": ["", ""],
        }
    )


def text_spec(text: str) -> dict:
    return {
        "data": {"values": [{"t": text}]},
        "mark": {"type": "text", "fontSize": 48},
        "encoding": {"text": {"field": "t", "type": "nominal"}},
        "width": 80,
        "height": 80,
    }


@pytest.fixture(scope="module")
def cjk_family() -> str:
    family = images.find_cjk_font_dirs().family
    if family is None:
        pytest.skip(NO_FONT_REASON)
    return family


@pytest.fixture(scope="module")
def bar_spec() -> dict:
    return charts.to_spec(charts.bar_chart(two_indicators(), title="测试：村集体收入"))


def test_bar_chart_png_is_a_png_sized_by_scale(cjk_family, bar_spec):
    one = images.chart_png(bar_spec, scale=1.0)
    two = images.chart_png(bar_spec, scale=2.0)
    w1, h1 = png_size(one)
    w2, h2 = png_size(two)
    assert w1 >= images.DEFAULT_WIDTH  # "container" replaced by the fixed plot width, labels on top
    assert 60 <= h1 < 400
    assert abs(w2 - 2 * w1) <= 2 and abs(h2 - 2 * h1) <= 2
    assert len(png_pixels(two)) > 0
    assert images.chart_png(bar_spec, scale=1.0) == one  # same spec again: same picture (cached)


def test_spec_is_not_changed_and_fonts_are_set(cjk_family, bar_spec):
    before = repr(bar_spec)
    prepared = images.prepare_spec(bar_spec, cjk_family, width=500)
    assert repr(bar_spec) == before, "chart_png must work on a copy"
    assert "container" not in repr(prepared)
    assert prepared["width"] == 500
    config = prepared["config"]
    assert config["font"] == cjk_family
    assert config["title"]["font"] == config["axis"]["labelFont"] == config["legend"]["labelFont"] == cjk_family


def test_two_chinese_characters_render_differently(cjk_family):
    dang = png_pixels(images.chart_png(text_spec("党"), scale=1.0))
    min_ = png_pixels(images.chart_png(text_spec("民"), scale=1.0))
    blank = png_pixels(images.chart_png(text_spec(""), scale=1.0))
    assert dang != min_, "党 and 民 give the same pixels: both are drawn as the same box"
    assert dang != blank, "党 draws nothing"


def test_chinese_is_not_drawn_as_a_missing_glyph(cjk_family):
    tofu = png_pixels(images.chart_png(text_spec("\U000f0000"), scale=1.0))
    tofu2 = png_pixels(images.chart_png(text_spec("\U000f0001"), scale=1.0))
    assert tofu == tofu2, "two unassigned code points should give the same missing-glyph drawing"
    for ch in "党民镇":
        assert png_pixels(images.chart_png(text_spec(ch), scale=1.0)) != tofu, f"{ch} is drawn as a missing glyph"


def test_font_dir_override(tmp_path, monkeypatch):
    (tmp_path / "wqy-microhei.ttc").write_bytes(b"not really a font")
    monkeypatch.setenv(images.FONT_DIR_ENV, str(tmp_path))
    found = images.find_cjk_font_dirs()
    assert found.family == "WenQuanYi Micro Hei"
    assert found.dirs[0] == tmp_path


def test_missing_font_raises_a_chinese_message(monkeypatch, bar_spec):
    monkeypatch.setattr(images, "find_cjk_font_dirs", lambda: images.CJKFont([], None))
    images.reset_font_cache()
    try:
        with pytest.raises(images.CJKFontMissing) as err:
            images.chart_png(bar_spec)
        assert "找不到中文字体" in str(err.value)
        assert "TOWNBOARD_FONT_DIR" in str(err.value)
    finally:
        monkeypatch.undo()
        images.reset_font_cache()
