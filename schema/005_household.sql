-- 005_household: links between a guardian and the household members whose
-- codes they may show (issue 12, "Household"; docs/API.md).
--
-- A link says: resident guardian_id may show resident member_id's code.
-- It holds no personal data. The member is a resident row like any other
-- (schema/002_people.sql): a member who never enrolled has a sealed record
-- without a passphrase, made when the guardian added them, which an
-- enrolment with the same ID number claims (service/record.c).
--
--   handle     what the API calls the link: 128 random bits, the same
--              handle for the guardian ("member") and the member ("link")
--   relation   the member's relation to the guardian, a closed word
--   state      pending until the member consents, then active; only an
--              active link gives codes
--   requested  when the guardian added the member (unix seconds)
--   confirmed  when the link became active; NULL while pending
--   consent    how it became active: 'minor' (a child under 14 by the ID
--              number's date of birth: the guardian decides), 'self' (the
--              member's own passphrase), 'officer' (an officer confirmed
--              the member's consent, stating the purpose)
--   officer_id the confirming officer's account, with consent 'officer'
--
-- Removing a member, or the member withdrawing consent, deletes the row:
-- the link is gone at once, and what it was is in the audit log
-- (household_add, household_confirm, household_remove leaves), not here.
-- Erasing either resident deletes their links (store_resident_erase).
--
-- The CHECKs keep those rules against a bug in the code above: nobody is
-- their own member; the closed words only; pending has no confirmation,
-- active has one, and an officer's confirmation names the officer.

CREATE TABLE household_links (
	id          INTEGER PRIMARY KEY,
	handle      BLOB    NOT NULL UNIQUE CHECK (length(handle) = 16),
	guardian_id INTEGER NOT NULL REFERENCES residents (id),
	member_id   INTEGER NOT NULL REFERENCES residents (id),
	relation    TEXT    NOT NULL CHECK (relation IN ('child', 'parent', 'spouse', 'other')),
	state       TEXT    NOT NULL CHECK (state IN ('pending', 'active')),
	requested   INTEGER NOT NULL,
	confirmed   INTEGER,
	consent     TEXT CHECK (consent IS NULL OR consent IN ('minor', 'self', 'officer')),
	officer_id  INTEGER REFERENCES accounts (id),
	CHECK (guardian_id <> member_id),
	CHECK ((state = 'pending') = (confirmed IS NULL)),
	CHECK ((state = 'pending') = (consent IS NULL)),
	CHECK ((consent IS NOT NULL AND consent = 'officer') = (officer_id IS NOT NULL)),
	CHECK (confirmed IS NULL OR confirmed >= requested),
	UNIQUE (guardian_id, member_id)
) STRICT;
CREATE INDEX household_links_member ON household_links (member_id);
-- Officers list pending links oldest first.
CREATE INDEX household_links_pending ON household_links (requested) WHERE state = 'pending';
