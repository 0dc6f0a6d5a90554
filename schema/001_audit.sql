-- 001_audit: the audit log (FORMAT.md section 3; DESIGN.md, "The audit
-- log's promises").
--
-- Two append-only tables, and two indexes derived from them:
--   log_leaves       one row per entry: its index, its exact bytes, and the
--                    Merkle hashes that the entry completes. Nothing parsed
--                    from the bytes is stored beside them: the bytes are
--                    the record, and a query checks a leaf's fields by
--                    parsing its bytes (service/store_log.c).
--   log_checkpoints  every signed checkpoint note, by tree size.
--   log_subjects     which leaves name a subject (a resident's accesses),
--   log_times        and each leaf's time (an auditor's time window): both
--                    brought up to date in steps, below log_index_mark.
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
-- like the subject index already was: in steps.
--
-- Invariants the triggers keep on every connection but the service's own:
-- no row of the log is ever updated or deleted; leaves are inserted in
-- order, index = count, with no gaps; no checkpoint is inserted twice. The
-- insert rules are also what stop INSERT OR REPLACE, which deletes the old
-- row without firing DELETE triggers while recursive_triggers is off. The
-- service's connections run without triggers (the leaf rule alone cost
-- the writer 2 us a leaf) and keep the same rules another way: an
-- authorizer, a check when a statement is prepared, the primary keys and
-- the writer's own order (service/store.c). Anyone who can write the file
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

-- The indexes. A resident's own accesses (GET /v1/me/accesses) must stay
-- fast, and an auditor's time window is served by an index. Neither is
-- written with each leaf. A B-tree index on subject cannot be cheap to
-- write: pseudonyms are random, so each new entry lands on a page of its
-- own, and a commit writes every page it touched to the WAL in full (one
-- 4 KiB page per leaf: it cost the writer 60% of its time); a B-tree
-- index on time, whose keys only grow, still cost three pages a commit.
-- So both are brought up to date in steps: they hold every leaf below
-- log_index_mark.upto, the writer adds the leaves after that in one
-- statement each once there are STORE_INDEX_STEP of them (store.h), and
-- a query reads an index below the mark and scans the few leaves from the
-- mark on.
--
-- log_subjects is FTS5, an LSM tree inside SQLite: a step adds one sorted
-- segment, and segments are merged a little at a time as later ones are
-- written, so an entry costs a few bytes written, a few times. Each entry
-- is the subject's first 16 hex digits (one token of the ascii tokenizer;
-- a query checks the whole subject on each leaf), with the leaf's index
-- as its rowid; the table stores nothing else. A
-- leaf with no subject adds a row of no terms, which it stores as
-- nothing. log_times holds (time, index) for every leaf; times nearly
-- grow with the index, so a step appends at the right edge (a scan
-- uploaded late, with the time of the scan, lands further left).
--
-- Both are an index, not the record: the service's writer is the only
-- one to add to them, FTS5 rewrites its own segments as it merges (so
-- they are not append-only), and a foreign connection that damaged them
-- could hide an entry from a resident's list or a time window, but not
-- from the log, which an auditor reads whole; and it could not make a
-- query return another leaf, since every leaf a query returns is checked
-- against the filter on its own bytes. Defensive mode keeps FTS5's shadow
-- tables read-only to SQL on the service's own connections.
CREATE VIRTUAL TABLE log_subjects USING fts5(
	subject, content = '', detail = none, columnsize = 0, tokenize = 'ascii');
CREATE TABLE log_times (
	time_ms INTEGER NOT NULL,
	idx     INTEGER NOT NULL,
	PRIMARY KEY (time_ms, idx)
) STRICT, WITHOUT ROWID;
CREATE TABLE log_index_mark (
	one  INTEGER PRIMARY KEY CHECK (one = 1),
	upto INTEGER NOT NULL CHECK (upto >= 0)
) STRICT;
INSERT INTO log_index_mark (one, upto) VALUES (1, 0);
CREATE TRIGGER log_index_mark_forward BEFORE UPDATE ON log_index_mark
WHEN NEW.upto < OLD.upto OR NEW.one IS NOT OLD.one
BEGIN
	SELECT RAISE(ABORT, 'audit log: the index mark only moves forward');
END;
CREATE TRIGGER log_index_mark_kept BEFORE DELETE ON log_index_mark
BEGIN
	SELECT RAISE(ABORT, 'audit log: the index mark is kept');
END;

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
