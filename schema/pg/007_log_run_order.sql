-- 007_log_run_order: the log's order rule checked once an INSERT, not
-- once a leaf. The row trigger of 001_log.sql (a PL/pgSQL call and a
-- max(idx) probe a leaf) cost some 20 us of the database's CPU a leaf
-- (bench/NOTES.md, issue 14), where a writer's batch inserts its leaves
-- in one statement.
--
-- The rule is the same: the rows one statement adds are lo, lo + 1, ...,
-- hi with lo one past the largest index before it (0 on an empty log),
-- so that the log's indices stay 0..size-1, each once. After the
-- statement the table holds its rows and the earlier ones. Its rows are
-- hi - lo + 1 distinct indices (the primary key) with none missing; hi
-- is the largest index in the table, so no earlier row lies above them;
-- and lo - 1 is an earlier row unless lo is 0, so the log ended there
-- (every earlier statement kept the rule, so nothing below lo is
-- missing). Two transactions that both append at n: the primary key
-- makes the second wait for the first and fail, as before; a statement
-- that appends after rows another transaction has not committed does
-- not see lo - 1 and fails.
CREATE FUNCTION log_leaves_run_in_order() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	lo bigint;
	hi bigint;
	n  bigint;
BEGIN
	SELECT min(idx), max(idx), count(*) INTO lo, hi, n FROM added;
	IF n = 0 THEN
		RETURN NULL;
	END IF;
	IF hi - lo + 1 <> n
	   OR hi IS DISTINCT FROM (SELECT max(idx) FROM log_leaves)
	   OR (lo > 0 AND NOT EXISTS (SELECT 1 FROM log_leaves WHERE idx = lo - 1)) THEN
		RAISE EXCEPTION 'audit log: leaves are appended in order';
	END IF;
	RETURN NULL;
END
$$;

DROP TRIGGER log_leaves_append_only ON log_leaves;
CREATE TRIGGER log_leaves_append_only AFTER INSERT ON log_leaves
	REFERENCING NEW TABLE AS added
	FOR EACH STATEMENT EXECUTE FUNCTION log_leaves_run_in_order();
DROP FUNCTION log_leaves_in_order();
