"""Fixtures for the real services: PostgreSQL, Redis and moto's S3 server.

Tests marked `postgres` skip unless the test database is PostgreSQL, and
tests marked `redis` skip unless REDIS_URL is set. Every server started
here listens on 127.0.0.1, in the 18300-18399 range.
"""

import contextlib
import importlib
import os
import selectors
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from django.conf import settings
from moto.server import ThreadedMotoServer

from config.storage import default_storage_config


def free_port(first: int, last: int) -> int:
    """Return a port in first..last that nothing on 127.0.0.1 listens on.

    Two test runs on one machine (a developer's and CI's) would otherwise
    share a fixed port, and one would stop the other's server under it.
    """
    for port in range(first, last + 1):
        with socket.socket() as probe:
            # As the server will: a port in TIME_WAIT is free to listen on.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port on 127.0.0.1 in {first}-{last}")


MOTO_PORT = free_port(18310, 18389)
S3_TEST_BUCKET = "apoint-test"
S3_TEST_ENV = {
    "S3_BUCKET": S3_TEST_BUCKET,
    "S3_ENDPOINT_URL": f"http://127.0.0.1:{MOTO_PORT}",
    "S3_REGION": "us-east-1",
    "S3_ACCESS_KEY_ID": "testing",
    "S3_SECRET_ACCESS_KEY": "testing",
}


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    skip_postgres = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://..."
    )
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://...")
    for item in items:
        if "postgres" in item.keywords and "postgresql" not in engine:
            item.add_marker(skip_postgres)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)


def _listening(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def s3_client(options: dict[str, Any]) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        region_name=options["region_name"],
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"],
        config=options["client_config"],
    )


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """Start moto's S3 server on a free port of 127.0.0.1."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=MOTO_PORT, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{MOTO_PORT}"
    server.stop()


def s3_storage_config(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name, value in {**S3_TEST_ENV, **env}.items():
        monkeypatch.setenv(name, value)
    return default_storage_config()


@pytest.fixture
def s3_bucket(moto_server: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the default storage a fresh private bucket on moto; return a client."""
    config = s3_storage_config(monkeypatch)
    client = s3_client(config["OPTIONS"])
    _empty_bucket(client)
    client.create_bucket(Bucket=S3_TEST_BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": config}
    return client


def _empty_bucket(client: Any) -> None:
    try:
        listing = client.list_objects_v2(Bucket=S3_TEST_BUCKET)
    except client.exceptions.NoSuchBucket:
        return
    for item in listing.get("Contents", []):
        client.delete_object(Bucket=S3_TEST_BUCKET, Key=item["Key"])


@pytest.fixture(scope="session", autouse=True)
def _configured_s3_bucket() -> Iterator[None]:
    """Serve the bucket that the environment configures, on moto.

    Runs only when S3_ENDPOINT_URL names 127.0.0.1, as `.ci/run` sets it
    for its second pass over the whole suite.
    """
    config = settings.STORAGES["default"]
    endpoint = os.environ.get("S3_ENDPOINT_URL", "")
    parts = urlsplit(endpoint)
    if "OPTIONS" not in config or parts.hostname != "127.0.0.1" or not parts.port:
        yield
        return
    server = None
    if not _listening("127.0.0.1", parts.port):
        server = ThreadedMotoServer(
            ip_address="127.0.0.1", port=parts.port, verbose=False
        )
        server.start()
    client = s3_client(config["OPTIONS"])
    bucket = config["OPTIONS"]["bucket_name"]
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=bucket)
    yield
    if server is not None:
        server.stop()


class TcpProxy:
    """A TCP forwarder on 127.0.0.1 that a test can cut and restore.

    `stop()` closes the listener and every open connection, as a database
    server that went away would; `start()` listens again on the same port.
    """

    def __init__(self, port: int, target_port: int) -> None:
        self.port = port
        self.target = ("127.0.0.1", target_port)
        self._thread: threading.Thread | None = None
        self._running = threading.Event()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.setblocking(False)
        self._running.set()
        self._thread = threading.Thread(target=self._serve, args=(listener,))
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _serve(self, listener: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        peers: dict[socket.socket, socket.socket] = {}
        try:
            while self._running.is_set():
                for key, _ in selector.select(timeout=0.05):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is listener:
                        self._accept(listener, selector, peers)
                        continue
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        data = b""
                    if data:
                        try:
                            peers[sock].sendall(data)
                            continue
                        except OSError:
                            pass
                    self._close_pair(sock, selector, peers)
        finally:
            for sock in list(peers):
                self._close_pair(sock, selector, peers)
            selector.close()
            listener.close()

    def _accept(
        self,
        listener: socket.socket,
        selector: selectors.BaseSelector,
        peers: dict[socket.socket, socket.socket],
    ) -> None:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        client.setblocking(True)
        for sock in (client, upstream):
            selector.register(sock, selectors.EVENT_READ)
        peers[client] = upstream
        peers[upstream] = client

    @staticmethod
    def _close_pair(
        sock: socket.socket,
        selector: selectors.BaseSelector,
        peers: dict[socket.socket, socket.socket],
    ) -> None:
        other = peers.pop(sock, None)
        for item in (sock, other):
            if item is None:
                continue
            peers.pop(item, None)
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(item)
            item.close()


@pytest.fixture
def provinces(transactional_db: None) -> None:
    """Put back the provinces that a flush after an earlier test removed.

    Transactional tests end with a flush, which also empties the rows that
    the data migration loaded.
    """
    from django.apps import apps

    migration = importlib.import_module("apoint.migrations.0002_provinces")
    migration.add_provinces(apps, None)
