"""A threaded HTTP server on 127.0.0.1 that records requests for tests."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
PORT_RANGE = range(18400, 18500)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> "Response":
        body = json.dumps(payload, ensure_ascii=False).encode()
        return cls(status, body, {"Content-Type": "application/json"})


class FakeServer:
    """Serve `handle(request)` from a background thread until `stop()`.

    `delay_seconds` delays every response, to test client timeouts.
    """

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.delay_seconds = 0.0
        self._httpd = _bind_free_port(self._handler_class())
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {
                    key: values[0] for key, values in parse_qs(parts.query).items()
                }
                request = Request(
                    self.command, parts.path, query, dict(self.headers.items()), body
                )
                fake.requests.append(request)
                if fake.delay_seconds:
                    time.sleep(fake.delay_seconds)
                response = fake.handle(request)
                try:
                    self.send_response(response.status)
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up first (a timeout test).
                    pass

            do_GET = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _bind_free_port(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    for port in PORT_RANGE:
        try:
            server = ThreadingHTTPServer((HOST, port), handler)
        except OSError:
            continue
        server.daemon_threads = True
        return server
    raise RuntimeError(
        f"no free port on {HOST} in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}"
    )
