"""Launch settings for Debian's chromium, shared by the browser tests and the load test.

Never `playwright install`: the browser comes from the system package. Without the background
networking flags chromium keeps trying hosts this closed network refuses.
"""

CHROMIUM = "/usr/bin/chromium"
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
