"""A tiny HTTP server on 127.0.0.1 for download tests: canned answers, request counting.

Runs in a daemon thread, binds a free port, and shuts itself down after ``lifetime`` seconds even if
a test forgets to (or hangs). Slow answers wait on an event that is set at shutdown, so no handler
thread outlives the server for long.

>>> with serve({"/a": Route(b"hi")}) as srv:
...     import urllib.request
...     urllib.request.urlopen(srv.url("/a"), timeout=5).read(), srv.hits["/a"]
(b'hi', 1)
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    content_length: int | None = None  # None: the true length; larger: a truncated transfer
    delay: float = 0.0                 # seconds to wait before answering (slow server)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address) -> None:  # client gave up: not our problem
        pass


class TestServer:
    """Handle returned by :func:`serve`: ``url(path)``, ``hits`` (requests per path), ``log``."""

    __test__ = False  # not a pytest test class

    def __init__(self, routes: dict[str, Route]):
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.log: list[str] = []  # requested paths, in order
        self.stopping = threading.Event()
        self.httpd = _Server(("127.0.0.1", 0), self._handler())
        self.port = self.httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                server.hits[self.path] += 1
                server.log.append(self.path)
                route = server.routes.get(self.path, Route(b"not found", status=404))
                if route.delay:
                    server.stopping.wait(route.delay)
                self.send_response(route.status)
                length = route.content_length if route.content_length is not None else len(route.body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(route.body)  # HTTP/1.0: the connection closes after this

        return Handler

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serve(routes: dict[str, Route], lifetime: float = 30.0) -> Iterator[TestServer]:
    """Serve ``routes`` on 127.0.0.1 for the duration of the ``with`` block (at most ``lifetime`` s)."""
    srv = TestServer(routes)
    thread = threading.Thread(target=srv.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    watchdog = threading.Timer(lifetime, srv.stop)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield srv
    finally:
        watchdog.cancel()
        if not srv.stopping.is_set():
            srv.stop()
        thread.join(timeout=5)
