-- 001_audit: the audit log (FORMAT.md section 3; DESIGN.md, "The audit
-- log's promises").
--
-- Three append-only tables:
--   log_leaves       one row per entry: its index, its exact bytes, and the
--                    fields parsed from those bytes into columns so that
--                    queries (by time, actor, action, subject) use indexes.
--                    The bytes are the record; the columns are a copy that
--                    a reader may use but an auditor re-derives.
--   log_nodes        the hash of every complete perfect subtree of the
--                    RFC 6962 tree: (level, idx) covers leaves
--                    [idx << level, (idx + 1) << level); level 0 holds the
--                    leaf hashes. Roots and proofs read O(log n) of these.
--                    (Up to 2^57 leaves: the key below packs them.)
--   log_checkpoints  every signed checkpoint note, by tree size.
--
-- Invariants the triggers keep on every connection, ours or not: no row is
-- ever updated or deleted; leaves are inserted in order, index = count,
-- with no gaps; no node and no checkpoint is inserted twice. The insert
-- rules are what stop INSERT OR REPLACE, which deletes the old row without
-- firing DELETE triggers while recursive_triggers is off (the default).
-- Anyone who can write the file can drop the triggers; what stops them is
-- the signed checkpoints, which they cannot forge, and the self-check at
-- start-up. (Each insert rule costs a B-tree seek per row, measured at
-- about 10% of the writer's time; see bench/bench_auditlog.c.)
--
-- No column may ever hold personal data: a leaf has none by construction.
-- Later migrations (002+) add the residents and accounts; they never touch
-- these tables.

CREATE TABLE log_leaves (
	idx      INTEGER PRIMARY KEY CHECK (idx >= 0),
	leaf     BLOB    NOT NULL CHECK (length(leaf) BETWEEN 1 AND 512),
	time_ms  INTEGER NOT NULL,
	role     TEXT    NOT NULL,
	actor_id INTEGER,          -- NULL for "-"
	action   TEXT    NOT NULL,
	subject  BLOB,             -- 16-byte audit pseudonym, NULL for "-"
	object   BLOB,             -- 16-byte credential id, NULL for "-"
	result   TEXT    NOT NULL,
	detail   TEXT    NOT NULL
) STRICT;

-- Two indexes only. Time grows with the index, so its index is appended at
-- one end and costs little. The subject index serves a resident's own
-- accesses (GET /v1/me/accesses), which must be fast; pseudonyms are
-- random, so each new entry lands on a page of its own, and every page a
-- transaction touches is written to the WAL in full: this one index
-- costs the writer about a third of its time. Actor and action are
-- auditors' filters, applied while scanning a time or index range (an
-- auditor reads the whole log anyway); indexing them measured another
-- 30% off the writer's rate (bench/bench_auditlog.c), so a later
-- migration should add one only for a query that needs it.
CREATE INDEX log_leaves_time ON log_leaves (time_ms);
CREATE INDEX log_leaves_subject ON log_leaves (subject) WHERE subject IS NOT NULL;

-- Nodes are keyed by when they were completed, not by (level, idx): pos is
-- (last leaf << 6) | level, a function of (level, idx) that grows with
-- every insert, so a transaction appends its nodes at the end of one
-- B-tree. Keyed by (level, idx), each level has an end of its own, and a
-- batch of appends dirtied one page per level (measured: 69 pages written
-- to the WAL per 64-leaf commit, against 53 this way).
CREATE TABLE log_nodes (
	pos   INTEGER PRIMARY KEY,
	level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 57),
	idx   INTEGER NOT NULL CHECK (idx >= 0),
	hash  BLOB    NOT NULL CHECK (length(hash) = 32),
	CHECK (pos = ((((idx + 1) << level) - 1) << 6) + level)
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

CREATE TRIGGER log_nodes_once BEFORE INSERT ON log_nodes
WHEN EXISTS (SELECT 1 FROM log_nodes WHERE pos = NEW.pos)
BEGIN
	SELECT RAISE(ABORT, 'audit log: a node is stored once');
END;
CREATE TRIGGER log_nodes_no_update BEFORE UPDATE ON log_nodes
BEGIN
	SELECT RAISE(ABORT, 'audit log: nodes are never updated');
END;
CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes
BEGIN
	SELECT RAISE(ABORT, 'audit log: nodes are never deleted');
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
