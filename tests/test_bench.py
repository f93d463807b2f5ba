"""The benchmark keeps working: a tiny run writes a report with every section and real ratios.

Not a speed test: nothing here asserts how fast anything is.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from bench import pages, report, run


def test_tiny_run_writes_every_section_with_numeric_ratios(tmp_path: Path):
    out = tmp_path / "benchmarks.md"
    raw = tmp_path / "results.json"

    code = run.main(
        ["--size", "tiny", "--out", str(out), "--raw", str(raw), "--work", str(tmp_path)]
    )

    assert code == 0
    text = out.read_text()
    for heading in (
        "# Benchmarks",
        "## Targets:",
        "## Machine and noise",
        "## Data",
        "## 1. Append",
        "## 2. Incremental append",
        "## 3. As-of and latest",
        "### Physical order",
        "#### Compaction",
        "## 4. Dashboard",
        "## 5. Memory",
        "## 6. What users meet",
        "### Views read whole",
        "### `tracker serve` and the pages in Chromium",
        "## Misses",
        "## Reproduce",
    ):
        assert heading in text, heading
    results = json.loads(raw.read_text())
    checks = report.checks(results)
    keys = [c.key for c in checks]
    # Each view read whole against its answer; with a browser, start-up and a page (tiny).
    assert [k for k in keys if k.startswith("answer_")] == [
        "answer_latest", "answer_series_summary", "answer_trends", "answer_revision_stats",
        "answer_asof",
    ]  # fmt: skip
    browser = [k for k in keys if k.startswith(("serve_", "page_"))]
    if pages.CHROMIUM.exists():
        assert browser == [
            "serve_start", "page_cold_releases", "page_warm_releases", "page_bytes_first",
            "page_bytes_repeat",
        ]  # fmt: skip
        assert results["pages"]["pages"]["releases"]["cold_runs"]
    else:
        assert browser == []
        assert "Not measured: no Chromium" in text
    assert len(checks) == 23 + 5 + len(browser)
    # One-series claims against pandas are made on the store `tracker compact` produced.
    assert [c.what for c in checks if c.key in ("pandas_latest_one", "pandas_asof_one")] == [
        "`latest`, one series: pandas / view, compacted store",
        "`asof(ts)`, one series: pandas / view, compacted store",
    ]
    assert results["compact"]["rows"] == results["data"]["store_rows"]
    assert all(math.isfinite(c.value) and c.value > 0 for c in checks)
    # Each target row shows its ratio or value as a number.
    rows = [
        line for line in text.splitlines() if line.startswith("| ") and ("≤" in line or "≥" in line)
    ]
    assert len(rows) == len(checks)
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert re.fullmatch(r"[\d,]+\.\d\d×?", cells[2]), line
        assert cells[4] in ("pass", "**miss**"), line
    # Every way of asking the same question gave the same answer.
    assert "every way returned identical digests" in text
    # The temporary data is gone: only what the test itself wrote is left.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["benchmarks.md", "results.json"]


@pytest.mark.browser
def test_the_page_benchmark_measures_a_page_cold_and_warm(seeded: Path):
    result = pages.measure(seeded, runs=1, pages=("releases",))

    page = result["pages"]["releases"]
    assert page["path"] == "/releases"
    assert page["warm_s"] > 0
    assert page["cold_s"] > 0
    # The repeat visit revalidates what the first one downloaded.
    assert page["first_bytes"] > 10 * page["repeat_bytes"] > 0
    assert result["serve_first_answer_s"] > 0
    assert "| releases |" in pages.render(result)
