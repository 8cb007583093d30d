"""Helpers for the real-browser tests: a live uvicorn server in a thread, a log capture, and Debian's chromium.

Playwright's own browser downloads are never used: the tests drive /usr/bin/chromium.
"""
from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import time

import uvicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def masked_phone(phone: str) -> str:
    """How the app shows an 11-digit mobile number (masking rule A11: 139****5678)."""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


class LogCapture(logging.Handler):
    """Every record logged by any logger (the server's access log included) while it is attached."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._lock_list = threading.Lock()
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - a broken record must not break the server
            line = f"{record.name} unformattable {record.msg!r} {record.args!r}"
        with self._lock_list:
            self.lines.append(line)

    @property
    def text(self) -> str:
        with self._lock_list:
            return "\n".join(self.lines)

    @contextlib.contextmanager
    def attached(self):
        # The uvicorn loggers propagate to the root logger when uvicorn is not given a logging config.
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(self)
        if root.level > logging.DEBUG or root.level == logging.NOTSET:
            root.setLevel(logging.DEBUG)
        try:
            yield self
        finally:
            root.removeHandler(self)
            root.setLevel(old_level)


class LiveServer:
    """uvicorn serving `app` on 127.0.0.1 in a background thread, for as long as the context lasts."""

    def __init__(self, app, host: str = "127.0.0.1") -> None:
        self.port = free_port()
        self.host = host
        # log_config=None: leave the process's logging alone, so uvicorn's loggers propagate to the capture.
        config = uvicorn.Config(app, host=host, port=self.port, log_level="info", log_config=None, access_log=True,
                                lifespan="on", loop="asyncio", ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start within 15 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout=5)
