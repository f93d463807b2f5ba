"""The suite itself: a run without its browser is a failed run, not a green run with skips."""

from __future__ import annotations

import os
import subprocess
import sys

from tracker import paths


def test_a_missing_chromium_stops_the_run_with_one_line(tmp_path):
    missing = tmp_path / "no-chromium"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["TRACKER_CHROMIUM"] = str(missing)

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--basetemp", str(tmp_path / "inner"), "tests/test_dashboard_browser.py"],
        capture_output=True, text=True, env=env, cwd=paths.ROOT, timeout=120,
    )  # fmt: skip

    reason = (
        f"the browser tests need Debian's chromium at {missing}: run  sudo apt-get install -y "
        "chromium  (make test does it as root)"
    )
    assert done.returncode == 2, done.stdout  # interrupted: neither passed nor skipped
    lines = done.stdout.splitlines()
    assert f"! Interrupted: {reason} !" in lines
    assert lines[-1].startswith("1 error in ")
