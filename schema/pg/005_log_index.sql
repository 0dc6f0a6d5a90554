-- 005_log_index: the audit log's subject and time indexes on PostgreSQL,
-- what the index file (store.h, STORE_INDEX_SUFFIX) keeps on SQLite
-- (log/store_log.c describes it); here in the log's own database,
-- docs/MULTINODE.md.
--
--   log_subjects    (subject, idx) for every leaf below the mark that
--                   names a subject: the first 8 bytes of its pseudonym
--                   (the 16 hex digits SQLite's index keeps), so a
--                   resident's list reads their entries by the primary
--                   key; a query checks the whole subject on each leaf's
--                   own bytes anyway (store_log_query).
--   log_times       (time_ms, idx) for every leaf below the mark, for an
--                   auditor's time window.
--   log_index_mark  upto: both hold every leaf below it, and nothing at
--                   or past it. It only moves up (the trigger below).
--
-- Derived data: the log's leaves are the record. They are filled in
-- steps by the log's leader alone (log/walkeeper.c on the connection of
-- its own), each step one transaction that takes the mark's row FOR
-- UPDATE, adds the leaves from the mark on and moves the mark, so that
-- two fillers (a leader that has just lost the lock and its successor)
-- add each leaf once: the second waits for the row, then reads the
-- first's mark.
--
-- The service's role gets INSERT and SELECT on both indexes (never
-- UPDATE, DELETE or TRUNCATE, so what is indexed stays), SELECT on the
-- mark and UPDATE of its upto column alone; nothing here lets it alter
-- the log's own tables, whose grants 001 sets. No personal data: a
-- pseudonym's prefix and a time.

CREATE TABLE log_subjects (
	subject bytea  NOT NULL CHECK (octet_length(subject) = 8),
	idx     bigint NOT NULL CHECK (idx >= 0),
	PRIMARY KEY (subject, idx)
);

CREATE TABLE log_times (
	time_ms bigint NOT NULL,
	idx     bigint NOT NULL CHECK (idx >= 0),
	PRIMARY KEY (time_ms, idx)
);

CREATE TABLE log_index_mark (
	one  boolean PRIMARY KEY DEFAULT true CHECK (one),
	upto bigint  NOT NULL CHECK (upto >= 0)
);
INSERT INTO log_index_mark (one, upto) VALUES (true, 0);

-- A query reads the indexes below the mark and the leaves from it on, in
-- two statements (store_log_query): right only while the mark never goes
-- back, so no role may move it back, and no one deletes its row.
CREATE FUNCTION log_index_mark_up() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	IF TG_OP <> 'UPDATE' OR NEW.upto < OLD.upto THEN
		RAISE EXCEPTION 'audit log index: the mark only moves up';
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER log_index_mark_only_up BEFORE UPDATE OR DELETE ON log_index_mark
	FOR EACH ROW EXECUTE FUNCTION log_index_mark_up();

REVOKE ALL ON log_subjects, log_times, log_index_mark FROM PUBLIC;
GRANT SELECT, INSERT ON log_subjects, log_times TO ankang_service;
GRANT SELECT ON log_index_mark TO ankang_service;
GRANT UPDATE (upto) ON log_index_mark TO ankang_service;
