-- 002_people: residents, accounts, sessions, issued codes, revocations and
-- offline scans (DESIGN.md, "Data flow" and "Sealing personal data").
--
-- No column holds readable personal data. A resident's name, ID number
-- and phone are sealed under the resident's own data key, which is stored
-- only wrapped by an epoch key of the KEK (crypto/epoch.h: epoch keys are
-- kept in a file of their own, wrapped by the KEK, a file outside this
-- database; key_epoch says which one, and a rotation re-wraps every live
-- key under a new epoch and destroys the old); the ID number is
-- found through a keyed blind index; the passphrase is an Argon2id hash.
-- Tokens are stored only as hashes. Erasing a resident nulls the wrapped
-- key and its epoch, the sealed fields, the blind index and the
-- passphrase, and deletes the status history and sessions: the row stays
-- as a tombstone so the audit log's pseudonym for it stays meaningful,
-- but nothing in it can be read any more, even with the KEK. (The service
-- answers an erasure only once no file holds the old bytes either:
-- log/auditlog.h, AUDITLOG_WIPE.)
--
-- The CHECKs keep those rules even against a bug in the code above:
--   - a tombstone (erased set) holds no key, sealed field, blind index or
--     passphrase, and a sealed field is never stored without a key;
--   - a live row holds its key and all three sealed fields (a phone is
--     sealed even when none was given), and none without the others;
--   - sealed fields and keys have exactly the sizes sealing gives them (a
--     wrapped key is 32 + 40 bytes; a field is padded to one length per
--     field, then sealed: 129 + 40 for a name, 19 + 40 for an ID number,
--     21 + 40 for a phone, store_people.h's STORE_SEALED_*_BYTES), so a
--     sealed length says nothing about a name's or a phone's, and no
--     plaintext column can hide in them by length;
--   - words from closed lists (status reasons, scan results) and account
--     names are spelled only from [a-z_] and [A-Za-z0-9._-]: free text,
--     and so a person's name, cannot be stored in them.
-- Accounts are never deleted (log leaves name them by id), only disabled.

CREATE TABLE accounts (
	id         INTEGER PRIMARY KEY,
	role       TEXT    NOT NULL CHECK (role IN ('verifier', 'officer', 'auditor', 'admin')),
	name       TEXT    NOT NULL UNIQUE
	                   CHECK (length(name) BETWEEN 1 AND 64
	                          AND name NOT GLOB '*[^A-Za-z0-9._-]*'),
	token_hash BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	created    INTEGER NOT NULL,
	disabled   INTEGER          -- unix seconds, NULL while active
) STRICT;

CREATE TABLE residents (
	id             INTEGER PRIMARY KEY,
	-- What the API calls the resident: random, so that nobody can walk
	-- the residents by counting (the row id never leaves the service).
	handle         BLOB    NOT NULL UNIQUE CHECK (length(handle) = 16),
	blind          BLOB UNIQUE CHECK (blind IS NULL OR length(blind) = 32),
	wrapped_key    BLOB CHECK (wrapped_key IS NULL OR length(wrapped_key) = 72),
	                             -- NULL until sealed, and again once erased
	key_epoch      INTEGER CHECK (key_epoch IS NULL OR key_epoch >= 1),
	                             -- the epoch wrapped_key is wrapped under
	name_sealed    BLOB CHECK (name_sealed IS NULL OR length(name_sealed) = 169),
	id_sealed      BLOB CHECK (id_sealed IS NULL OR length(id_sealed) = 59),
	phone_sealed   BLOB CHECK (phone_sealed IS NULL OR length(phone_sealed) = 61),
	passphrase     TEXT CHECK (passphrase IS NULL OR length(passphrase) BETWEEN 1 AND 127),
	                             -- crypto_pwhash_str (Argon2id)
	status         INTEGER NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 2),
	status_changed INTEGER NOT NULL,
	-- The log index of the leaf that set the status (enrolment or the last
	-- status_set): a code issued at a lower index is superseded.
	status_index   INTEGER NOT NULL CHECK (status_index >= 0),
	created        INTEGER NOT NULL,
	erased         INTEGER,      -- unix seconds, NULL while active
	CHECK ((wrapped_key IS NULL) = (key_epoch IS NULL)
	       AND (wrapped_key IS NULL) = (name_sealed IS NULL)
	       AND (wrapped_key IS NULL) = (id_sealed IS NULL)
	       AND (wrapped_key IS NULL) = (phone_sealed IS NULL)),
	CHECK (erased IS NULL
	       OR (blind IS NULL AND wrapped_key IS NULL AND name_sealed IS NULL
	           AND id_sealed IS NULL AND phone_sealed IS NULL AND passphrase IS NULL))
) STRICT;
-- A rotation finds the keys still under an older epoch through it.
CREATE INDEX residents_key_epoch ON residents (key_epoch) WHERE key_epoch IS NOT NULL;

CREATE TABLE status_history (
	id          INTEGER PRIMARY KEY,
	resident_id INTEGER NOT NULL REFERENCES residents (id),
	time        INTEGER NOT NULL,
	status      INTEGER NOT NULL CHECK (status BETWEEN 0 AND 2),
	reason      TEXT    NOT NULL
	                    CHECK (length(reason) BETWEEN 1 AND 32 AND reason NOT GLOB '*[^a-z_]*'),
	officer_id  INTEGER REFERENCES accounts (id)
) STRICT;
CREATE INDEX status_history_resident ON status_history (resident_id, time);

CREATE TABLE sessions (
	token_hash  BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
	resident_id INTEGER NOT NULL REFERENCES residents (id),
	created     INTEGER NOT NULL,
	used        INTEGER NOT NULL CHECK (used >= created),
	                             -- last use, to the minute (it is written
	                             -- with an audited request, at most once a
	                             -- minute)
	expires     INTEGER NOT NULL CHECK (expires > created)
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_resident ON sessions (resident_id);
CREATE INDEX sessions_expires ON sessions (expires);

-- Every credential the service signed, until it expires: which resident
-- it belongs to (so a verification can be attributed to the resident's
-- pseudonym), and what status it showed (so the online check can answer
-- "superseded").
--
-- sig_hash is a keyed hash of the code's COSE signature: an offline scan
-- proves the verifier saw the code by sending the signature, which
-- appears nowhere but in the code itself (never in the revocation list).
-- issued_index is the log index of the code's issue or print_code leaf,
-- which orders it against status changes (residents.status_index).
CREATE TABLE codes (
	cti          BLOB    PRIMARY KEY CHECK (length(cti) = 16),
	resident_id  INTEGER NOT NULL REFERENCES residents (id),
	iat          INTEGER NOT NULL,
	exp          INTEGER NOT NULL CHECK (exp > iat),
	status       INTEGER NOT NULL CHECK (status BETWEEN 0 AND 2),
	paper        INTEGER NOT NULL DEFAULT 0 CHECK (paper IN (0, 1)),
	sig_hash     BLOB    NOT NULL CHECK (length(sig_hash) = 16),
	issued_index INTEGER NOT NULL CHECK (issued_index >= 0)
) STRICT, WITHOUT ROWID;
CREATE INDEX codes_resident ON codes (resident_id, exp);
CREATE INDEX codes_exp ON codes (exp);

-- Codes that must no longer be accepted, until they expire: what the
-- signed revocation list publishes.
CREATE TABLE revocations (
	cti BLOB    PRIMARY KEY CHECK (length(cti) = 16),
	exp INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX revocations_exp ON revocations (exp);

-- The KEK's check value: a MAC of a fixed text under a key derived from
-- the KEK (seal_kek_check), never the KEK. Every command that loads a KEK
-- compares it, so another deployment's KEK is refused instead of
-- silently finding no one and enrolling everyone again.
CREATE TABLE kek_check (
	one   INTEGER PRIMARY KEY CHECK (one = 1),
	value BLOB    NOT NULL CHECK (length(value) = 32)
) STRICT;

-- Offline scans uploaded by verifiers, once each (the scan id makes an
-- upload idempotent).
CREATE TABLE scans (
	scan_id     BLOB    PRIMARY KEY CHECK (length(scan_id) = 16),
	verifier_id INTEGER NOT NULL REFERENCES accounts (id),
	cti         BLOB CHECK (cti IS NULL OR length(cti) = 16),
	time        INTEGER NOT NULL,
	result      TEXT    NOT NULL
	                    CHECK (length(result) BETWEEN 1 AND 32 AND result NOT GLOB '*[^a-z_]*'),
	uploaded    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
