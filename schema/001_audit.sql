-- 001_audit: the audit log (FORMAT.md section 3; DESIGN.md, "The audit
-- log's promises").
--
-- Two append-only tables:
--   log_leaves       one row per entry: its index, its exact bytes, and the
--                    Merkle hashes that the entry completes. Nothing parsed
--                    from the bytes is stored beside them: the bytes are
--                    the record, and a query checks a leaf's fields by
--                    parsing its bytes (log/store_log.c).
--   log_checkpoints  every signed checkpoint note, by tree size.
-- The indexes derived from them (a resident's accesses by subject, an
-- auditor's time window) live in a file of their own beside this one,
-- kept up to date in steps off the writer's path (log/store_log.c).
--
-- The hashes. A perfect subtree of the RFC 6962 tree, (level, idx),
-- covers leaves [idx << level, (idx + 1) << level) and is complete from
-- the moment its last leaf is appended, never before and never changing
-- after. So each leaf row stores, in `hashes`, the hashes of exactly the
-- subtrees that end at it: its own leaf hash (level 0) first, then one per
-- level k >= 1 for which idx + 1 is a multiple of 2^k, that is one per
-- trailing one bit of idx: 32 bytes on every leaf, 64 on average. Roots
-- and proofs read O(log n) of them, each one row by its primary key:
-- (level, idx) lives in the row ((idx + 1) << level) - 1, at byte
-- 32 * level. (Up to 2^57 leaves; the CHECK below holds the count to the
-- index, so no row can claim a subtree that does not end there.) Storing
-- them with their leaf instead of as rows of their own (as this schema
-- did first: a log_nodes table of (level, idx, hash), two rows per leaf
-- with a trigger each) wrote a sixth of the pages per commit; see
-- bench/bench_auditlog.c for the numbers.
--
-- Why a leaf row is only (idx, leaf, hashes). It used to carry the leaf's
-- fields again in columns (time, role, actor, action, subject, object,
-- result, detail) and a B-tree index on time. On the 2-CPU VM that cost
-- the writer ~0.7 us of SQL a leaf for the columns, ~0.7 us and three
-- pages a commit for the time index, and 0.22 WAL frames a leaf against
-- 0.16 without (bench/bench_auditlog.c). No index needs role, actor,
-- action, object, result or detail (an auditor filters by them while
-- reading a range it reads anyway), and the two that are needed are kept
-- in steps, in the index file.
--
-- Invariants the triggers keep on every connection but the service's own:
-- no row of the log is ever updated or deleted; leaves are inserted in
-- order, index = count, with no gaps; no checkpoint is inserted twice. The
-- insert rules are also what stop INSERT OR REPLACE, which deletes the old
-- row without firing DELETE triggers while recursive_triggers is off. The
-- service's connections run without triggers (the leaf rule alone cost
-- the writer 2 us a leaf) and keep the same rules another way: an
-- authorizer, a check when a statement is prepared, the primary keys and
-- the writer's own order (log/store.c). Anyone who can write the file
-- can drop the triggers, or switch CHECKs off; what stops them is the
-- signed checkpoints, which they cannot forge, an auditor's saved state,
-- and the self-check at start-up.
--
-- No column may ever hold personal data: a leaf has none by construction.
-- Later migrations (002+) add the residents and accounts; they never touch
-- these tables.

CREATE TABLE log_leaves (
	idx      INTEGER PRIMARY KEY CHECK (idx >= 0),
	leaf     BLOB    NOT NULL CHECK (length(leaf) BETWEEN 1 AND 512),
	-- (idx + 1) & -(idx + 1) is 2^(trailing one bits of idx)
	hashes   BLOB    NOT NULL CHECK (length(hashes) BETWEEN 32 AND 1856
	                                 AND length(hashes) % 32 = 0
	                                 AND (idx + 1) & -(idx + 1)
	                                     = 1 << (length(hashes) / 32 - 1))
) STRICT;

CREATE TABLE log_checkpoints (
	size    INTEGER PRIMARY KEY CHECK (size >= 0),
	note    BLOB    NOT NULL,
	time_ms INTEGER NOT NULL
) STRICT;

CREATE TRIGGER log_leaves_append_only BEFORE INSERT ON log_leaves
WHEN NEW.idx IS NOT coalesce((SELECT max(idx) FROM log_leaves) + 1, 0)
BEGIN
	SELECT RAISE(ABORT, 'audit log: leaves are appended in order');
END;
CREATE TRIGGER log_leaves_no_update BEFORE UPDATE ON log_leaves
BEGIN
	SELECT RAISE(ABORT, 'audit log: leaves are never updated');
END;
CREATE TRIGGER log_leaves_no_delete BEFORE DELETE ON log_leaves
BEGIN
	SELECT RAISE(ABORT, 'audit log: leaves are never deleted');
END;

CREATE TRIGGER log_checkpoints_once BEFORE INSERT ON log_checkpoints
WHEN EXISTS (SELECT 1 FROM log_checkpoints WHERE size = NEW.size)
BEGIN
	SELECT RAISE(ABORT, 'audit log: one checkpoint per size');
END;
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints
BEGIN
	SELECT RAISE(ABORT, 'audit log: checkpoints are never updated');
END;
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints
BEGIN
	SELECT RAISE(ABORT, 'audit log: checkpoints are never deleted');
END;
