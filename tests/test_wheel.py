"""tracker as a package: the wheel carries the SQL, the seed and the dashboard's assets, and an
installed copy works from any folder.

The slow test builds the wheel from this checkout, installs it into a fresh virtual environment
in tmp_path (its dependencies come from the running environment through a ``.pth`` file, so
nothing is downloaded), and runs `tracker init`, `show`, `query`, `check` and `serve` from a
folder outside the checkout, with the default store.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tracker import paths

CHECKOUT_TRACKER = Path(sys.executable).with_name("tracker")
SEED_FILES = ["events.csv", "observations.csv", "releases.csv", "series.csv"]


def test_a_checkout_reads_sql_and_seed_from_the_repository_and_keeps_its_store_in_data():
    assert not paths.INSTALLED
    assert paths.SQL_DIR == paths.ROOT / "sql"
    assert paths.DATA_DIR == paths.ROOT / "data"
    assert paths.DEFAULT_DB == paths.ROOT / "data" / "tracker.duckdb"
    assert sorted(p.name for p in paths.DATA_DIR.glob("*.csv")) == SEED_FILES


@pytest.mark.parametrize(
    ("xdg", "expected"),
    [("/srv/xdg", "/srv/xdg/tracker"), ("", "~/.local/share/tracker"),
     ("relative/ignored", "~/.local/share/tracker")],
)  # fmt: skip
def test_the_user_data_folder_follows_xdg(monkeypatch, xdg, expected):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", xdg)
    assert paths.user_data_dir() == Path(expected).expanduser()


# The installed wheel ---------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user who has only the installed package."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "TRACKER_DB", "TRACKER_DEBUG", "VIRTUAL_ENV")
    }
    return {**env, **extra}


def build_wheel(out: Path) -> Path:
    """The wheel of this checkout, built by the backend of the running environment (offline)."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", str(out), str(paths.ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("tracker-*.whl")
    return wheel


def make_venv(folder: Path, wheel: Path) -> Path:
    """A fresh virtual environment with the wheel installed; returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    bin_dir = folder / "bin"
    purelib = subprocess.run(
        [str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies, reused from the running environment. A folder named in a .pth file is
    # added to sys.path without running its own .pth files, so the editable install of this
    # checkout stays out of sight.
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(purelib) / "tracker_test_deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return bin_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


@pytest.mark.slow
def test_the_installed_wheel_works_from_any_folder(tmp_path, seeded_template):
    assert paths.ROOT not in tmp_path.parents
    wheel = build_wheel(tmp_path / "dist")

    # What the wheel holds besides Python modules.
    names = zipfile.ZipFile(wheel).namelist()
    data = sorted(n for n in names if not n.endswith(".py") and ".dist-info/" not in n)
    sql = sorted(
        f"tracker/_sql/{p.relative_to(paths.SQL_DIR).as_posix()}"
        for p in paths.SQL_DIR.rglob("*.sql")
    )
    folder = paths.ROOT / "dashboards" / "assets"
    assets = sorted(
        f"dashboards/assets/{p.relative_to(folder).as_posix()}"
        for p in folder.rglob("*")
        if p.is_file()
    )
    seed = [f"tracker/_data/{name}" for name in SEED_FILES]
    assert data == sorted(sql + seed + assets)
    # The stylesheet, the grid's functions, tracker.css and the vendored plotly.js with its
    # licence and README.
    assert len(sql) > 30 and len(assets) == 6

    bin_dir = make_venv(tmp_path / "venv", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    xdg = tmp_path / "xdg"
    env = clean_env(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(xdg))

    def tracker(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(bin_dir / "tracker"), *args],
            capture_output=True, text=True, env=env, cwd=elsewhere, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done

    located = subprocess.run(
        [str(bin_dir / "python"), "-c",
         "import dashboards, tracker; from tracker import paths; "
         "print(tracker.__file__, dashboards.__file__, paths.SQL_DIR, paths.DATA_DIR, sep='\\n')"],
        capture_output=True, text=True, env=env, cwd=elsewhere, check=True,
    ).stdout.split()  # fmt: skip
    package = bin_dir.parent / "lib"
    assert all(package in Path(p).parents for p in located), located

    # `tracker init` puts the default store in the user data folder and loads the seed.
    store = xdg / "tracker" / "tracker.duckdb"
    init = tracker("init")
    migrations = len(list(paths.MIGRATIONS_DIR.glob("*.sql")))
    assert init.stderr.splitlines()[0] == (
        f"store {store}: {migrations} migration(s) applied, views and kept state rebuilt"
    )
    assert init.stderr.splitlines()[1].startswith("seed: ")
    assert store.is_file()
    assert list(elsewhere.iterdir()) == []

    # The same answers as this checkout gives on its own seeded store.
    def checkout(*args: str) -> str:
        done = subprocess.run(
            [str(CHECKOUT_TRACKER), *args, "--db", str(seeded_template)],
            capture_output=True, text=True, env=clean_env(), timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    show = tracker("show", "CHN.EXPORTS.YOY").stdout
    assert show.splitlines()[0] == "CHN.EXPORTS.YOY — China goods exports, y/y (USD) (% y/y)"
    assert "│ 2025-05-01 │ 2025-05-31 │   4.8 │ actual │" in show
    assert show == checkout("show", "CHN.EXPORTS.YOY")
    count = tracker("query", "select count(*) from latest", "--format", "csv").stdout
    assert count == checkout("query", "select count(*) from latest", "--format", "csv")
    assert int(count.splitlines()[1]) > 50
    table = tracker("query", "select count(*) from latest").stdout
    assert f"│ {count.splitlines()[1]:>12} │" in table
    checks = len(list(paths.CHECKS_DIR.glob("*.sql")))
    assert tracker("check").stdout == f"all {checks} checks passed\n"

    # `tracker serve` answers with the app and its assets.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(bin_dir / "tracker"), "serve", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=elsewhere,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, layout = get(base + "/_dash-layout")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"tracker serve did not start:\n{log.read_text()}")
                time.sleep(0.2)
        assert status == 200
        assert '"tracker"' in layout  # the navbar's brand
        status, page = get(base + "/")
        assert status == 200
        assert "<title>tracker</title>" in page
        assert "/assets/tracker.css" in page
        assert get(base + "/assets/tracker.css")[0] == 200
        # The pages came with the wheel: their callbacks are registered.
        status, dependencies = get(base + "/_dash-dependencies")
        assert status == 200 and '"explore-' in dependencies and '"revisions-' in dependencies
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert list(elsewhere.iterdir()) == []
