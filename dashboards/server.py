"""The production WSGI server behind ``tracker serve``: waitress (Linux, macOS and Windows).

The socket is bound first, before the app is built, so a taken port is one line and nothing
else; connections that arrive while the app is still being built wait in the socket's backlog
and are answered once it is ready. This module imports no Dash: ``tracker serve`` can refuse a
taken port in a fraction of a second.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable

from tracker.errors import ServeError

#: Request threads. Each page load makes a handful of callback requests at once, and a callback
#: mostly waits on DuckDB, which releases the GIL.
DEFAULT_THREADS = 8
BACKLOG = 1024


class Listener:
    """Bound, listening sockets for ``host:port``, served by waitress once the app is ready."""

    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port
        self.sockets = _bind(host, port)

    def serve(
        self, app: Callable, *, threads: int = DEFAULT_THREADS, proxy_headers: bool = False
    ) -> None:
        """Answer requests with the WSGI ``app`` until interrupted (Ctrl+C or SIGTERM).

        waitress removes ``X-Forwarded-*`` headers from requests; ``proxy_headers`` passes them
        on, for an app that trusts the one proxy in front of it (``--trusted-proxy``).
        """
        import logging
        import signal

        import waitress

        # waitress warns "Task queue depth is N" whenever a request waits for a free thread,
        # as requests arriving during start-up do: noise in a terminal.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        server = waitress.create_server(
            app,
            sockets=self.sockets,
            threads=threads,
            clear_untrusted_proxy_headers=not proxy_headers,
        )

        def stop(_signum, _frame) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.close()

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


def _bind(host: str, port: int) -> list[socket.socket]:
    try:
        infos = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ServeError(
            f"error: cannot listen on {host}: {exc.strerror} (use an address such as 127.0.0.1)"
        ) from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if os.name != "nt":
                # As waitress does: a restart may reuse the port while old connections close.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", None)):
            raise ServeError(
                f"error: port {port} is already in use on {host} (stop the other server, "
                f"or pick another port with --port {port + 1})"
            ) from None
        raise ServeError(f"error: cannot listen on {host}:{port}: {exc.strerror}") from None
    return sockets
