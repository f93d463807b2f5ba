"""The store on DuckLake (PostgreSQL catalog, Parquet files): `make test-lake` runs these, in an
environment with duckdb 1.5.5 and the extension wheels (``pip install 'tracker[lake]'``) and a
throwaway PostgreSQL; elsewhere they skip and say why."""

from __future__ import annotations

import pytest

from tracker import db, lake
from tracker.seed import load_seed

pytestmark = pytest.mark.lake


def test_a_lake_opens_with_the_schema_and_the_seed(lake_store: str) -> None:
    with db.writer(lake_store) as con:
        assert lake.attached(con)
        load_seed(con)
        releases = db.scalar(con, "SELECT count(*) FROM releases")
        assert releases == 40
        assert all(frame.height == 0 for frame in db.run_checks(con).values())
    with db.reader(lake_store) as con:
        assert db.scalar(con, "SELECT count(*) FROM latest") > 0


def test_a_missing_lake_says_how_to_create_it(pg_server) -> None:
    spec = lake.PREFIX + pg_server.createdb("never_made")
    with pytest.raises(Exception, match=r"tracker init --lake"):
        db.connect(spec)
