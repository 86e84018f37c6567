"""A real steerco server in a subprocess for tests: uvicorn on a free loopback port."""

from __future__ import annotations

import email
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_server(app: str, env: dict[str, str], log_dir: Path, ready_path: str,
                   timeout_s: float = 60) -> Iterator[str]:
    """Serve the app factory `app` ("module:function") with `env` over os.environ and
    yield its URL once `ready_path` answers 200; fail with the server's log if it dies or
    does not answer within `timeout_s`. The server is stopped on exit."""
    port = free_port()
    log = open(log_dir / "server.log", "w")  # noqa: SIM115 (open for the server's lifetime)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                if httpx.get(url + ready_path, timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server ({app}) did not start:\n"
                            + (log_dir / "server.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


class MailSink:
    """A local SMTP server's handler: keeps every message it accepts, in order."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()  # the server runs on its own thread

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(msg)
            self.received(msg)
        return "250 OK"

    def received(self, msg: Message) -> None:
        """What a subclass also notes of each message (the simulated day, …)."""


S = TypeVar("S", bound=MailSink)


@contextmanager
def smtp_server(sink: S) -> Iterator[tuple[S, int]]:
    """A local SMTP server (aiosmtpd) on a free loopback port handing each message to
    `sink`; yields the sink and the port, and stops the server on exit."""
    from aiosmtpd.controller import Controller

    port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield sink, port
    finally:
        ctl.stop()


def mail_parts(msg: Message) -> dict[str, str]:
    """An e-mail's text parts by content type (text/plain, text/html)."""
    return {p.get_content_type(): p.get_payload(decode=True).decode()  # type: ignore[union-attr]
            for p in msg.walk() if not p.is_multipart()}
