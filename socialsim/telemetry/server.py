"""Serve a registry's `/metrics` over HTTP for the life of a run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, start_http_server


@contextmanager
def serving(registry: CollectorRegistry, port: int | None, host: str = "127.0.0.1") -> Iterator[None]:
    """Serve while the block runs (nothing when `port` is None); the port is freed on exit."""
    if port is None:
        yield
        return
    server, thread = start_http_server(port, addr=host, registry=registry)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
