#!/usr/bin/env bash
# tests/sh/init_if_missing.sh on PostgreSQL (tests/lib/service.sh, ANKANG_TEST_STORE):
# the systemd unit's start-up step on a folder whose store is PostgreSQL
# (ankang.conf names it: no ankang.db) leaves it alone. Skips without
# PostgreSQL.
ANKANG_TEST_STORE=pg exec tests/sh/init_if_missing.sh
