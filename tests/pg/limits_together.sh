#!/usr/bin/env bash
# tests/sh/limits_together.sh on PostgreSQL (tests/lib/service.sh, ANKANG_TEST_STORE):
# one of the integration scripts make check runs on both stores; make
# check-pg runs every one that can. Skips without PostgreSQL.
ANKANG_TEST_STORE=pg exec tests/sh/limits_together.sh
