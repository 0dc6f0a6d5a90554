-- 003_log_verified: how far this service has rehashed the audit log's
-- leaves (DESIGN.md, "The audit log's promises"; log/auditlog.c,
-- log/scrub.c).
--
-- One row, updated in place:
--   log_verified  upto, a log size: every leaf below it has been read back
--                 and held against the hashes stored with it (it parsed,
--                 and its leaf hash and every inner hash it completes,
--                 recomputed, were the stored ones) by a start-up of the
--                 log or by a pass of its background scrubber.
-- A start-up rehashes the leaves from min(upto, the newest checkpoint's
-- size) to the end, refuses to open on a mismatch, and moves upto to the
-- size it verified; the writer moves it up to where the scrubber's pass
-- has got, and down to where the scrubber found a mismatch, so that the
-- next start-up rehashes it and refuses. A database made before this
-- migration starts at 0: its next start-up rehashes the whole log once.
--
-- It is only a starting point, not evidence. Whoever can write this file
-- can set it: lower, the next start-up checks more; higher, it checks
-- less. Nothing else reads it: the scrubber, which rehashes the whole log
-- from leaf 0 pass after pass, `ankangd check --full` and `ankang-audit
-- verify` hold every leaf against its hashes and the signed checkpoints
-- whatever it says. It is the log's but not one of its append-only tables
-- (001_audit.sql): the service's connections may UPDATE it and nothing
-- else (no INSERT, DELETE, ALTER or DROP: log/store.c), and a missing row
-- reads as 0. No triggers, so the log's stay switched off on the
-- service's connections (log/store.c). No personal data.

CREATE TABLE log_verified (
	one  INTEGER PRIMARY KEY CHECK (one = 1),
	upto INTEGER NOT NULL CHECK (upto >= 0)
) STRICT;

INSERT INTO log_verified (one, upto) VALUES (1, 0);
