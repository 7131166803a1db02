"""Numbers the Chinese way: thousands separators, the value as written, qualifier and unit in place."""

from __future__ import annotations

import math

PREFIX_QUALIFIERS = ("近", "约", "至少", "不少于")
SUFFIX_QUALIFIERS = ("余", "多", "左右")  # between number and unit: 2,000余人次
AFTER_UNIT_QUALIFIERS = ("以上",)  # after the unit: 90%以上


def group_digits(text: str) -> str:
    """'134163' -> '134,163'; '0.8320' stays '0.8320'; '-1250.5' -> '-1,250.5'."""
    text = str(text).strip()
    if not text:
        return text
    sign = ""
    if text[0] in "+-":
        sign, text = text[0], text[1:]
    whole, dot, frac = text.partition(".")
    if not whole.isdigit():
        return sign + text
    return f"{sign}{int(whole):,}{dot}{frac}"


def number_text(value: float | None, written: str | None = None) -> str:
    """The value as the report writes it when known (keeps 0.8320), else a tidy rendering."""
    if written:
        return group_digits(written)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return group_digits(f"{value:.4f}".rstrip("0").rstrip("."))


def figure(value, unit: str = "", qualifier: str = "", written: str | None = None) -> str:
    """537.65万元, 2,000余人次, 近5,400名, 90%以上."""
    num = number_text(value, written)
    q = (qualifier or "").strip()
    unit = unit or ""
    if q in PREFIX_QUALIFIERS:
        return f"{q}{num}{unit}"
    if q in AFTER_UNIT_QUALIFIERS:
        return f"{num}{unit}{q}"
    if q:
        return f"{num}{q}{unit}"
    return f"{num}{unit}"


def row_figure(row) -> str:
    """figure() for an indicator row (dict or Series)."""
    return figure(row.get("value"), row.get("unit", ""), row.get("qualifier", ""), row.get("value_text") or None)


def percent(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.1f}%".replace(".0%", "%")


def signed(value: float, unit: str = "") -> str:
    text = number_text(abs(value))
    return f"{'+' if value >= 0 else '−'}{text}{unit}"


def label(indicator: str, scope: str = "") -> str:
    """Indicator name with its village/site when the name does not already say it."""
    return f"{indicator}（{scope}）" if scope and scope not in indicator else indicator
