"""How the API is served: gunicorn settings shared by ``gunicorn.conf.py`` and ``grassroots serve``.

Storage tables are created once, in the master before it forks; each worker
then builds its own applications and connection pool (``interfaces.wsgi``), so
no pool or socket crosses a fork.

Metrics are kept in prometheus_client's multiprocess mode: each worker writes its
own files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape, whichever worker answers
it, sums them all, so counters never go backwards between scrapes. The folder is
emptied when the service starts (what a previous run counted is gone, as after
any restart); a dead worker's counts stay, its live gauges go.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from prometheus_client import multiprocess, values

from infra.storage import Settings, open_storage
from interfaces.http.logs import logging_config

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
_made_for_this_run: list[str] = []  # removed when the master exits


def prepare_metrics_dir() -> None:
    """An empty metrics folder for this run: the one configured, or a new temporary one."""
    folder = os.environ.get(METRICS_DIR)
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))
    else:
        os.environ[METRICS_DIR] = tempfile.mkdtemp(prefix="grassroots-metrics-")
        _made_for_this_run.append(os.environ[METRICS_DIR])
    # The library chooses how values are kept when it is first imported, and the
    # master imported it before this hook ran (this module does). Choose again: our
    # metrics all have labels, so their values are made on first use, in the workers.
    values.ValueClass = values.get_value_class()


def on_starting(_server: Any) -> None:
    """gunicorn's ``on_starting`` hook: the metrics folder, then idempotent DDL,
    closed before forking."""
    prepare_metrics_dir()
    storage = open_storage(Settings.from_env())
    try:
        storage.create_tables()
    finally:
        storage.close()


def post_worker_init(_worker: Any) -> None:
    """SIGTERM, before gunicorn's graceful stop: open event streams end now, cleanly
    (a last comment, the chunked body closed), instead of holding the worker until
    it is killed mid-chunk after the graceful timeout."""
    from interfaces.http.events import STOPPING  # the worker's app, after the fork

    graceful_stop = signal.getsignal(signal.SIGTERM)
    assert callable(graceful_stop), "gunicorn's worker sets its SIGTERM handler before this hook"

    def stop(signum: int, frame: Any) -> None:
        STOPPING.set()
        graceful_stop(signum, frame)

    signal.signal(signal.SIGTERM, stop)
    signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn has it: requests are not disturbed


def child_exit(_server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges (pool usage) no longer count."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(_server: Any) -> None:
    """Remove the metrics folder made for this run (a configured one is left)."""
    for folder in _made_for_this_run:
        shutil.rmtree(folder, ignore_errors=True)


class ApiLogger(Logger):
    """gunicorn's logger without its access lines, which are the API's own
    (``interfaces.http.logs``): given a logging configuration, gunicorn would
    gather every request's fields for a line its configuration then drops
    (40 µs a request, a tenth of a ``/healthz``)."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


def honest_connections(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """The WSGI application, closing the connection after an answer that left some of
    the request's body unread (a 413, a 401 or 404 sent before reading it).

    gunicorn drains at most 64 KiB of an unread body before it reuses a connection,
    and closes it when there is more, after it has already answered
    ``Connection: keep-alive``: the client's next request there is never answered.
    It ignores a ``Connection`` header from the application, so the answer is
    marked on gunicorn's own response object, before its headers are written.
    """

    def serve(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            gunicorn_response = getattr(start_response, "__self__", None)
            if gunicorn_response is not None and _body_unread(environ["wsgi.input"]):
                gunicorn_response.force_close()
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return serve


def _body_unread(body: Any) -> bool:
    """Whether gunicorn's request body still has bytes the application did not read."""
    reader = getattr(body, "reader", None)
    if getattr(reader, "length", 0):  # a Content-Length body not read to its end
        return True
    return getattr(reader, "parser", None) is not None  # a chunked body not read to its end


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
        # Streams end within a second of SIGTERM and kept-alive connections within
        # two (gunicorn's linger): the service stops within 5 s, a stuck request
        # included.
        "graceful_timeout": 4,
        # JSON lines on stderr; the access lines are the API's own (interfaces.http.logs).
        "accesslog": None,
        "logger_class": ApiLogger,
        "errorlog": "-",
        "logconfig_dict": logging_config(
            access=os.environ.get("GRASSROOTS_ACCESS_LOG", "on").lower() != "off"),
        "preload_app": False,
        # gunicorn 27's control socket ($HOME/.gunicorn/gunicorn.ctl) is shared by every
        # gunicorn of the user and lets any of its processes steer this master: off.
        "control_socket_disable": True,
        "on_starting": on_starting,
        "post_worker_init": post_worker_init,
        "child_exit": child_exit,
        "on_exit": on_exit,
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
