-- 001_log: the audit log on PostgreSQL (docs/MULTINODE.md; the same log
-- as schema/001_audit.sql and 003_log_verified.sql on SQLite, whose
-- comments say what each column holds and why it is shaped so).
--
-- Run by the database's owner (store_open with a postgresql:// URL, the
-- owner's role); the service's nodes log in as roles in the group
-- ankang_service, which the DBA creates and which owns nothing. It gets:
--   log_leaves, log_checkpoints   SELECT, INSERT: never UPDATE, DELETE,
--                                 TRUNCATE; not being the owner, it can
--                                 neither ALTER nor DROP them, nor
--                                 disable their triggers
--   log_head, log_signer,         SELECT, UPDATE of their one row: the
--   log_verified                  coordination rows (below)
--   ankang_schema                 SELECT
-- Triggers refuse UPDATE, DELETE and TRUNCATE of leaves and checkpoints
-- for every role, the owner too, and a leaf at any index but the next;
-- the grants stop the service's role before a statement runs. Neither
-- stops the owner from dropping a trigger: the signed checkpoints, the
-- auditors' saved state and the start-up check do, as on SQLite.
--
-- The coordination rows, one row each:
--   log_head      size and range: the tree's size and its compact Merkle
--                 range (one 32-byte hash a set bit of the size, largest
--                 subtree first). A front-end's writer takes it FOR UPDATE
--                 at the start of a batch, appends at size, and writes it
--                 back before COMMIT: the row lock orders the front-ends'
--                 batches and hands each the range it appends to.
--   log_signer    the size and root of the newest stored checkpoint: the
--                 signer's compare-and-swap (a leader stores a checkpoint
--                 only if this still says what it signed last).
--   log_verified  upto: how far a start-up or the scrubber rehashed the
--                 leaves (a starting point, never evidence).
--
-- No column ever holds personal data: a leaf has none by construction.

CREATE TABLE ankang_schema (
	one     boolean PRIMARY KEY DEFAULT true CHECK (one),
	version integer NOT NULL CHECK (version >= 0)
);
INSERT INTO ankang_schema (one, version) VALUES (true, 0);

CREATE TABLE log_leaves (
	idx    bigint PRIMARY KEY CHECK (idx >= 0 AND idx < 144115188075855872), -- 2^57
	leaf   bytea  NOT NULL CHECK (octet_length(leaf) BETWEEN 1 AND 512),
	-- (idx + 1) & -(idx + 1) is 2^(trailing one bits of idx)
	hashes bytea  NOT NULL CHECK (octet_length(hashes) BETWEEN 32 AND 1856
	                              AND octet_length(hashes) % 32 = 0
	                              AND ((idx + 1) & -(idx + 1))
	                                  = (1::bigint << (octet_length(hashes) / 32 - 1)))
);

CREATE TABLE log_checkpoints (
	size    bigint PRIMARY KEY CHECK (size >= 0),
	note    bytea  NOT NULL,
	time_ms bigint NOT NULL
);

CREATE TABLE log_head (
	one   boolean PRIMARY KEY DEFAULT true CHECK (one),
	size  bigint  NOT NULL CHECK (size >= 0),
	range bytea   NOT NULL CHECK (octet_length(range) % 32 = 0
	                              AND octet_length(range) <= 57 * 32)
);
INSERT INTO log_head (one, size, range) VALUES (true, 0, ''::bytea);

CREATE TABLE log_signer (
	one  boolean PRIMARY KEY DEFAULT true CHECK (one),
	size bigint  NOT NULL CHECK (size >= 0),
	root bytea   CHECK (root IS NULL OR octet_length(root) = 32)
);
INSERT INTO log_signer (one, size, root) VALUES (true, 0, NULL);

CREATE TABLE log_verified (
	one  boolean PRIMARY KEY DEFAULT true CHECK (one),
	upto bigint  NOT NULL CHECK (upto >= 0)
);
INSERT INTO log_verified (one, upto) VALUES (true, 0);

-- The order rule reads the largest index (one probe of the primary key).
-- Two transactions that both see n as next cannot both commit a leaf at
-- n: the primary key makes the second wait for the first and then fail.
CREATE FUNCTION log_leaves_in_order() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	IF NEW.idx IS DISTINCT FROM (SELECT coalesce(max(idx) + 1, 0) FROM log_leaves) THEN
		RAISE EXCEPTION 'audit log: leaves are appended in order';
	END IF;
	RETURN NEW;
END
$$;

CREATE FUNCTION log_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	RAISE EXCEPTION 'audit log: % of % refused: the log is append-only', TG_OP, TG_TABLE_NAME;
END
$$;

CREATE TRIGGER log_leaves_append_only BEFORE INSERT ON log_leaves
	FOR EACH ROW EXECUTE FUNCTION log_leaves_in_order();
CREATE TRIGGER log_leaves_no_change BEFORE UPDATE OR DELETE ON log_leaves
	FOR EACH ROW EXECUTE FUNCTION log_refuse_change();
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON log_leaves
	FOR EACH STATEMENT EXECUTE FUNCTION log_refuse_change();
CREATE TRIGGER log_checkpoints_no_change BEFORE UPDATE OR DELETE ON log_checkpoints
	FOR EACH ROW EXECUTE FUNCTION log_refuse_change();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION log_refuse_change();

REVOKE ALL ON ankang_schema, log_leaves, log_checkpoints, log_head, log_signer, log_verified
	FROM PUBLIC;
GRANT SELECT ON ankang_schema TO ankang_service;
GRANT SELECT, INSERT ON log_leaves, log_checkpoints TO ankang_service;
GRANT SELECT, UPDATE ON log_head, log_signer, log_verified TO ankang_service;
