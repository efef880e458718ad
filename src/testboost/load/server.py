"""Serve a WSGI app on loopback with a real server: gunicorn where it runs, waitress otherwise.

gunicorn (Unix) forks ``processes`` workers from the already-built app, each with ``threads``
threads; waitress (pure Python, any platform) serves it from threads of this process. Both stop
on SIGTERM or SIGINT: :func:`serve` returns then, after the workers have finished.

>>> serve(app, "127.0.0.1", 8000, processes=2, threads=4,             # doctest: +SKIP
...       before_fork=dispose, on_exit=flush)
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

INSTALL = "pip install 'testboost[load]'"


def server_name() -> str | None:
    """``gunicorn`` where it is installed and can run (not on Windows), else ``waitress``, else None."""
    if sys.platform != "win32" and importlib.util.find_spec("gunicorn") is not None:
        return "gunicorn"
    if importlib.util.find_spec("waitress") is not None:
        return "waitress"
    return None


def serve(
    app: Callable[..., Any],
    host: str,
    port: int,
    *,
    processes: int,
    threads: int,
    before_fork: Callable[[], None],
    on_exit: Callable[[], None],
) -> str:
    """Serve ``app`` until SIGTERM/SIGINT; the server's name. ``on_exit`` runs in each process."""
    name = server_name()
    if name == "gunicorn":
        _gunicorn(app, host, port, processes, threads, before_fork, on_exit)
    elif name == "waitress":
        _waitress(app, host, port, processes * threads, on_exit)
    else:
        raise RuntimeError(f"no WSGI server installed: {INSTALL}")
    return name


def _gunicorn(
    app: Callable[..., Any],
    host: str,
    port: int,
    processes: int,
    threads: int,
    before_fork: Callable[[], None],
    on_exit: Callable[[], None],
) -> None:
    from gunicorn.app.base import BaseApplication
    from gunicorn.errors import HaltServer

    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": processes,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 3,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "control_socket_disable": True,  # gunicorn 24+ would make ~/.gunicorn: the sandbox refuses
        "pre_fork": lambda server, worker: before_fork(),
        "worker_exit": lambda server, worker: on_exit(),
    }

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # older gunicorn lacks the newer settings
                    self.cfg.set(key, value)

        def load(self) -> Callable[..., Any]:
            return app

    arbiter = os.getpid()
    try:
        Server().run()
    except SystemExit as exc:
        if os.getpid() != arbiter:  # a worker leaving: it must not run the arbiter's clean-up
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exc.code if isinstance(exc.code, int) else 0)
    except (HaltServer, Exception) as exc:  # gunicorn halts when its workers keep dying
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
        print(f"gunicorn stopped: {reason}", file=sys.stderr)


def _waitress(
    app: Callable[..., Any], host: str, port: int, threads: int, on_exit: Callable[[], None]
) -> None:
    import waitress

    server: Any = waitress.create_server(app, host=host, port=port, threads=max(threads, 4))

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        on_exit()
