"""A throwaway PostgreSQL server on 127.0.0.1 for the lake tests (the DuckLake catalog).

It uses the server binaries of the machine (Debian's ``postgresql`` package puts them in
``/usr/lib/postgresql/<version>/bin``; ``$TRACKER_PG_BIN`` overrides), runs them as the
``postgres`` user when started by root (PostgreSQL refuses to run as root), keeps everything in
one temporary folder and is always stopped by its owner (a fixture finaliser, or ``stop``).

From a shell::

    python tests/pgserver.py start /tmp/pg     # prints the DuckLake catalog spec
    python tests/pgserver.py stop /tmp/pg
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "postgres"


def bin_dir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    env = os.environ.get("TRACKER_PG_BIN")
    candidates = [Path(env)] if env else sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    found = shutil.which("pg_ctl")
    if found and not env:
        # Debian links pg_ctl alone into /usr/local/bin: the real folder holds initdb too.
        candidates.insert(0, Path(found).resolve().parent)
    for folder in reversed(candidates):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", USER, "--", *args]


@dataclass
class Server:
    folder: Path
    port: int
    bin: Path

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def spec(self, dbname: str = "postgres") -> str:
        """The DuckLake catalog spec of a database on this server."""
        return f"postgres:dbname={dbname} host=127.0.0.1 port={self.port} user={USER}"

    def _address(self) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", USER]

    def createdb(self, name: str) -> str:
        """Create a database; returns its DuckLake catalog spec."""
        subprocess.run(
            _as_server_user([str(self.bin / "createdb"), *self._address(), name]),
            check=True,
            capture_output=True,
        )
        return self.spec(name)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user(
                    [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
                ),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.folder, ignore_errors=True)


def start(folder: Path | None = None) -> Server:
    """Initialise and start a server in ``folder`` (a new temporary folder by default)."""
    pg_bin = bin_dir()
    if pg_bin is None:
        raise RuntimeError(
            "PostgreSQL is not installed (as root: apt-get install -y postgresql; "
            "or set TRACKER_PG_BIN to the folder with initdb and pg_ctl)"
        )
    folder = Path(folder or tempfile.mkdtemp(prefix="tracker-pg-"))
    folder.mkdir(parents=True, exist_ok=True)
    # The server user must reach the folder through every parent.
    for part in [folder, *folder.parents]:
        if part != Path("/") and os.geteuid() == 0:
            part.chmod(part.stat().st_mode | 0o011)
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, user=USER)
    server = Server(folder=folder, port=free_port(), bin=pg_bin)
    run = {"check": True, "capture_output": True}
    subprocess.run(
        _as_server_user(
            [str(pg_bin / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8"]
        ),
        **run,  # type: ignore[arg-type]
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={server.port} "
        f"-c unix_socket_directories={folder} -c fsync=off -c max_connections=100"
    )
    try:
        start_args = ["-o", options, "-l", str(folder / "log"), "-w", "start"]
        subprocess.run(
            _as_server_user([str(pg_bin / "pg_ctl"), "-D", str(data), *start_args]),
            **run,  # type: ignore[arg-type]
        )
    except subprocess.CalledProcessError:
        log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
        server.stop()
        raise RuntimeError(f"PostgreSQL did not start: {log.strip()[-500:]}") from None
    return server


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"start", "stop"}:
        print("usage: python tests/pgserver.py start|stop FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[1]).resolve()
    if argv[0] == "start":
        server = start(folder)
        (folder / "port").write_text(str(server.port))
        print(f"ducklake:{server.createdb('lake')}")
        return 0
    port = int((folder / "port").read_text()) if (folder / "port").exists() else 0
    pg_bin = bin_dir()
    if pg_bin is not None:
        Server(folder=folder, port=port, bin=pg_bin).stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
