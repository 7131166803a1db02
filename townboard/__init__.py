"""townboard: the 铁石口镇 2020 工作成效看板 — data, validation, charts and exports."""

from townboard.data import Bundle, data_dir_from_env, load
from townboard.issues import Issue

__all__ = ["Bundle", "Issue", "data_dir_from_env", "load"]
