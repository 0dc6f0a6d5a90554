#!/usr/bin/env bash
# tests/sh/serve_overload.sh on PostgreSQL (tests/lib/service.sh, ANKANG_TEST_STORE):
# --max-queue under a burst, on the store several front-ends share.
# Skips without PostgreSQL.
ANKANG_TEST_STORE=pg exec tests/sh/serve_overload.sh
