-- 004_appeals: residents' appeals against their status, and officers'
-- teams (service/appeal.h; docs/API.md, "Appeals").
--
-- An appeal names its resident by row id and the API by a random handle
-- (16 bytes, as residents' handles are), so nobody can walk the appeals by
-- counting. Its text, the only free text, is sealed under the resident's
-- own data key (record.c: record_seal_field), padded first to one length
-- (the longest text, 500 code points of at most 4 bytes, and one byte of
-- padding: 2001 bytes, sealed 2041), with the resident id and the field
-- "appeal_text:<handle in hex>" as associated data, so a sealed text opens
-- only as the text of its own appeal and says nothing of its length. An
-- erasure nulls it with the resident's other sealed fields; the data key
-- is gone by then anyway.
--
-- Everything else is a time, a number or a word from a closed list, which
-- the CHECKs keep to their lists (the same words crypto/leaf.c writes into
-- the log): the reason a resident gives, the decision and the reason an
-- officer gives. An appeal is open until it is answered, and then holds
-- all four of answered, decision, answer_reason and officer_id (the
-- answering account), never some of them. A resident has at most one open
-- appeal: appeals_one_open refuses a second even against a bug above.
--
-- status and status_officer are what was appealed: the resident's status
-- when the appeal was opened and the account that set it (NULL when it
-- was set at enrolment). An overdue appeal (past due, unanswered) counts
-- against that officer's team in the auditors' report.
--
-- Teams: an officer account may belong to a team (`ankangd account add
-- --team T`), a label like an account name ("district-3"), never a
-- person's name.

ALTER TABLE accounts ADD COLUMN team TEXT
	CHECK (team IS NULL OR (length(team) BETWEEN 1 AND 64
	                        AND team NOT GLOB '*[^A-Za-z0-9._-]*'));

CREATE TABLE appeals (
	id             INTEGER PRIMARY KEY,
	handle         BLOB    NOT NULL UNIQUE CHECK (length(handle) = 16),
	resident_id    INTEGER NOT NULL REFERENCES residents (id),
	reason         TEXT    NOT NULL
	                       CHECK (reason IN ('wrong_person', 'negative_test', 'not_in_risk_area',
	                                         'quarantine_completed', 'other')),
	text_sealed    BLOB CHECK (text_sealed IS NULL OR length(text_sealed) = 2041),
	                                 -- NULL once the resident is erased
	status         INTEGER NOT NULL CHECK (status BETWEEN 0 AND 2),
	status_officer INTEGER REFERENCES accounts (id),
	opened         INTEGER NOT NULL,
	due            INTEGER NOT NULL CHECK (due >= opened),
	answered       INTEGER CHECK (answered IS NULL OR answered >= opened),
	decision       TEXT CHECK (decision IS NULL OR decision IN ('upheld', 'rejected')),
	answer_reason  TEXT CHECK (answer_reason IS NULL
	                           OR (decision = 'upheld'
	                               AND answer_reason IN ('evidence_accepted', 'record_error'))
	                           OR (decision = 'rejected'
	                               AND answer_reason IN ('evidence_insufficient',
	                                                     'status_confirmed'))),
	officer_id     INTEGER REFERENCES accounts (id),
	CHECK ((answered IS NULL) = (decision IS NULL)
	       AND (answered IS NULL) = (answer_reason IS NULL)
	       AND (answered IS NULL) = (officer_id IS NULL))
) STRICT;
-- One open appeal per resident.
CREATE UNIQUE INDEX appeals_one_open ON appeals (resident_id) WHERE answered IS NULL;
-- Officers' lists, oldest first; a resident's own, newest first.
CREATE INDEX appeals_opened ON appeals (opened, id);
CREATE INDEX appeals_resident ON appeals (resident_id, opened);
