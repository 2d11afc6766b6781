"""How the API is served: gunicorn settings shared by ``gunicorn.conf.py`` and ``grassroots serve``.

Storage tables are created once, in the master before it forks; each worker
then builds its own applications and connection pool (``interfaces.wsgi``), so
no pool or socket crosses a fork.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from infra.storage import Settings, open_storage


def create_storage_once(_server: Any) -> None:
    """gunicorn's ``on_starting`` hook: idempotent DDL, then close before forking."""
    storage = open_storage(Settings.from_env())
    try:
        storage.create_tables()
    finally:
        storage.close()


def gunicorn_settings(host: str | None = None, port: int | None = None) -> dict[str, Any]:
    bind_host = host or os.environ.get("GRASSROOTS_HOST", "127.0.0.1")
    bind_port = port or int(os.environ.get("GRASSROOTS_PORT", "8000"))
    return {
        "bind": f"{bind_host}:{bind_port}",
        "workers": int(os.environ.get("GRASSROOTS_WORKERS", "2")),
        "worker_class": "gthread",
        "threads": int(os.environ.get("GRASSROOTS_THREADS", "4")),
        "keepalive": 5,
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": os.environ.get("GRASSROOTS_ACCESS_LOG") or None,
        "errorlog": "-",
        "preload_app": False,
        "on_starting": create_storage_once,
        "wsgi_app": "interfaces.wsgi:app",
    }


class Server(BaseApplication):
    """gunicorn, configured in code, for ``grassroots serve``."""

    def __init__(self, settings: dict[str, Any]):
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.settings.items():
            if key != "wsgi_app":
                self.cfg.set(key, value)

    def load(self) -> Any:
        from interfaces.wsgi import app  # imported in the worker, after the fork

        return app
