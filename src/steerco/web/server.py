"""Serve an ASGI app on one or more worker processes.

With more than one worker, each process binds its own listening socket with SO_REUSEPORT
and the kernel spreads new connections evenly across them. This replaces
`uvicorn --workers`, which we measured to cost a 40 ms stall on every response: it
creates the shared socket with protocol 0, so asyncio never sets TCP_NODELAY on the
accepted connections, and Nagle's algorithm then waits for the client's delayed ACK
between the headers and the body (bench/api_load.py: a constant endpoint answered in
43 ms instead of 1 ms). Its single shared accept queue also let one worker take most
keep-alive connections (81 % against 12 % CPU under 50 clients). Gunicorn shares one
socket the same way, so no ready-made server fits.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import signal
import socket
import sys
import time
from types import FrameType

import uvicorn

log = logging.getLogger("steerco.server")
#: Restart a worker that died, but stop if they keep dying (a broken app or database).
MAX_RESTARTS_PER_MINUTE = 5


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A TCP socket listening on host:port (SO_REUSEPORT with `reuse_port`)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    return sock


def _worker(app: str, host: str, port: int, log_level: str, access_log: bool) -> None:
    sock = listening_socket(host, port, reuse_port=True)
    config = uvicorn.Config(app, log_level=log_level, access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


def serve(app: str, host: str, port: int, workers: int = 1, log_level: str = "info",
          access_log: bool = True) -> None:
    """Serve `app` (an import string like `steerco.web.main:app`) until interrupted."""
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(app, host=host, port=port, workers=max(workers, 1), log_level=log_level,
                    access_log=access_log)
        return
    # Fail in the parent, with a clear message, if the port is taken.
    listening_socket(host, port, reuse_port=True).close()
    ctx = mp.get_context("spawn")  # no engine or thread of the parent leaks into a worker
    args = (app, host, port, log_level, access_log)
    procs = [ctx.Process(target=_worker, args=args, name=f"steerco-worker-{i}")
             for i in range(workers)]
    for p in procs:
        p.start()
    stopping = False

    def stop(_sig: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    restarts: list[float] = []
    print(f"steerco: serving on http://{host}:{port} with {workers} workers", flush=True)
    while not stopping:
        time.sleep(0.5)
        for i, p in enumerate(procs):
            if p.is_alive() or stopping:
                continue
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60] + [now]
            if len(restarts) > MAX_RESTARTS_PER_MINUTE:
                log.error("workers keep exiting (last code %s); stopping", p.exitcode)
                stopping = True
                break
            log.warning("worker %s exited with code %s; restarting it", p.name, p.exitcode)
            procs[i] = ctx.Process(target=_worker, args=args, name=p.name)
            procs[i].start()
    for p in procs:
        p.terminate()
    for p in procs:
        p.join(timeout=20)
        if p.is_alive():
            p.kill()


def main(argv: list[str] | None = None) -> None:
    """`python -m steerco.web.server APP [--host H] [--port P] [--workers N]`."""
    parser = argparse.ArgumentParser(prog="python -m steerco.web.server",
                                     description="Serve an ASGI app on N processes.")
    parser.add_argument("app", help="import string, e.g. steerco.web.main:app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", action="store_true")
    a = parser.parse_args(argv)
    serve(a.app, a.host, a.port, a.workers, a.log_level, not a.no_access_log)


if __name__ == "__main__":
    main(sys.argv[1:])
