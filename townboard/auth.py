"""The admin password: from st.secrets["admin_password"] or TOWNBOARD_ADMIN_PASSWORD."""

from __future__ import annotations

import hmac
import os


def configured_password(secrets=None) -> str | None:
    """The configured password, or None (then the app is read-only)."""
    if secrets is not None:
        try:
            value = secrets.get("admin_password")
        except Exception:  # no secrets.toml, or a malformed one: fall back to the environment
            value = None
        if value:
            return str(value)
    value = os.environ.get("TOWNBOARD_ADMIN_PASSWORD", "")
    return value or None


def check_password(given: str, expected: str | None) -> bool:
    """Constant-time comparison; never true when no password is configured."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


HOW_TO_SET = (
    "尚未设置管理员密码，看板目前为只读。设置方法（二选一）：\n"
    '1. 在看板文件夹的 .streamlit/secrets.toml 中写一行：admin_password = "你的密码"；\n'
    "2. 启动前设置环境变量 TOWNBOARD_ADMIN_PASSWORD（Windows：set TOWNBOARD_ADMIN_PASSWORD=你的密码）。\n"
    "设置后重新启动看板。"
)
