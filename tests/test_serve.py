"""`tracker serve`: waitress answers real HTTP requests; a taken port is one line, exit code 1."""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tracker import paths, snapshots


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env() -> dict[str, str]:
    environment = {**os.environ}
    environment.pop("TRACKER_DEBUG", None)
    environment.pop("TRACKER_DB", None)
    return environment


def serve(store: Path, port: int, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracker.cli",
            "serve",
            "--db",
            str(store),
            "--port",
            str(port),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        cwd=paths.ROOT,
    )


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    return urllib.request.urlopen(request, timeout=60)


@pytest.fixture
def store(tmp_path: Path, seeded_template: Path) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copy(seeded_template, path)
    return path


def test_a_taken_port_is_one_line_and_exit_code_1(store: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        done = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "serve", "--db", str(store), "--port", str(port)],
            capture_output=True,
            text=True,
            env=env(),
            cwd=paths.ROOT,
            timeout=60,
        )

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"error: port {port} is already in use on 127.0.0.1 (stop the other server, "
        f"or pick another port with --port {port + 1})\n"
    )
    # Nothing ran: no server registered on the store, no snapshot published.
    assert snapshots.servers(store) == []
    assert snapshots.current(store) is None


def test_serve_answers_through_waitress_and_stops_cleanly(store: Path):
    port = free_port()
    process = serve(store, port)
    try:
        # The port is bound before the app is built: this request waits for it, not refused.
        deadline = time.monotonic() + 60
        while True:
            try:
                response = get(f"http://127.0.0.1:{port}/", **{"Accept-Encoding": "gzip"})
                break
            except urllib.error.URLError as exc:
                assert isinstance(exc.reason, ConnectionRefusedError), exc
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.05)
        with response:
            body = gzip.decompress(response.read()).decode()
            assert response.status == 200
            assert response.headers["Server"] == "waitress"
            assert response.headers["Content-Encoding"] == "gzip"
        assert "<title>tracker</title>" in body
        with get(f"http://127.0.0.1:{port}/_dash-layout") as layout:
            assert layout.status == 200
        assert snapshots.servers(store) == [process.pid]
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == 0, stderr
    assert stdout == ""
    assert stderr == (
        f"tracker dashboard on http://127.0.0.1:{port}/ (store {store}; Ctrl+C stops it)\n"
    )
    assert "development server" not in stderr
    # SIGTERM unregisters the server like Ctrl+C does.
    assert snapshots.servers(store) == []


def test_serve_refuses_a_missing_store_before_binding(tmp_path: Path):
    missing = tmp_path / "nothing.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "serve", "--db", str(missing), "--port", "1"],
        capture_output=True,
        text=True,
        env=env(),
        cwd=paths.ROOT,
        timeout=60,
    )

    assert done.returncode == 1
    assert done.stderr.startswith(f"error: store {missing} does not exist")
