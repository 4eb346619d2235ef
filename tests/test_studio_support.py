"""The throwaway PostgreSQL of the studio tests: no server is a failure in CI and a skip elsewhere; a machine without
PostgreSQL's programs says so."""

from __future__ import annotations

import pytest
from studio_support import PgCluster, PgUnavailable, give_up


def test_no_server_fails_in_ci_and_skips_elsewhere() -> None:
    with pytest.raises(pytest.fail.Exception, match="need PostgreSQL: no initdb"):
        give_up("no initdb", {"CI": "true"})
    with pytest.raises(pytest.skip.Exception, match="no initdb"):
        give_up("no initdb", {})


def test_a_machine_without_postgresql_says_so() -> None:
    cluster = PgCluster()
    cluster.bin = None
    with pytest.raises(PgUnavailable, match="install the postgresql package"):
        cluster.start()
