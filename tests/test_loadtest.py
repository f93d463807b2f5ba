"""The load test in a short form: dashboard clients and appends at once, nothing fails or is lost."""

from __future__ import annotations

import pytest

from bench import loadtest


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2], ids=["tracker-serve", "gunicorn-2-workers"])
def test_serving_while_appending_loses_nothing(workers):
    results = loadtest.run(clients=2, releases=4, workers=workers, max_seconds=120)
    assert results.failed_appends == []
    assert results.failed_requests == []
    assert len(results.latencies_ms) > 0
    assert (results.checked_rows, results.missing_rows) == (4 * len(loadtest.SERIES), 0)
