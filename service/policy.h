/*
 * policy: the service's rules for what it accepts, each in one place so a
 * newcomer (or an inspector) can read them: the closed lists of status
 * reasons and look-up purposes, what a name, a phone number, a passphrase
 * and an account name may be, and the limits on codes.
 *
 * Pure: no I/O, no state. Names need libunistring (NFC and the Unicode
 * character tables).
 */
#ifndef ANKANG_POLICY_H
#define ANKANG_POLICY_H

#include <stddef.h>

#include "crypto/cred.h"
#include "crypto/leaf.h"

/* A resident's code lives --code-ttl seconds; a paper code up to this. */
#define POLICY_PAPER_MAX_DAYS     31
#define POLICY_PAPER_DEFAULT_DAYS 7
#define POLICY_PASSPHRASE_MIN     8
#define POLICY_PASSPHRASE_MAX     256
#define POLICY_PHONE_MAX          20
#define POLICY_SESSION_TTL        (12 * 3600)
#define POLICY_ACCOUNT_NAME_MAX   64 /* = STORE_ACCOUNT_NAME_MAX */

/* A status reason word -> its DET_* detail, or -1 if not on the list. */
int policy_reason_parse(const char *w, size_t len);
/* A look-up purpose word -> its DET_* detail, or -1. */
int policy_purpose_parse(const char *w, size_t len);
/* A household member's relation word (child parent spouse other) -> its
 * DET_* detail, or -1. */
int policy_relation_parse(const char *w, size_t len);

/*
 * Names: the enrolment rule. A name is what a checkpoint worker reads to
 * match a code to the person holding it, so enrolment accepts only names
 * that show as exactly the letters they hold: nothing invisible, nothing
 * that reorders, hides or draws over its neighbours, and one spelling
 * where Unicode has two for the same text (é as one character or as e
 * and an accent). A name is normalised to Unicode NFC first; then it must
 * be
 *
 *   - 1 to 128 bytes of UTF-8 (CRED_NAME_MAX), counted after NFC;
 *   - made only of
 *       letters (general category L: Lu Ll Lt Lm Lo),
 *       combining marks Mn and Mc (accents, vowel signs),
 *       U+0020 SPACE,
 *       U+00B7 MIDDLE DOT and U+30FB KATAKANA MIDDLE DOT (阿沛·阿旺晋美),
 *       U+0027 APOSTROPHE and U+2019 RIGHT SINGLE QUOTATION MARK (O'Brien),
 *       U+002D HYPHEN-MINUS (Jean-Luc) and U+002E FULL STOP (Jr.),
 *     but no character that is Default_Ignorable_Code_Point, even where it
 *     is a letter or a mark (the Hangul fillers U+115F, U+1160, U+3164 and
 *     U+FFA0, U+034F COMBINING GRAPHEME JOINER, variation selectors): they
 *     show as nothing;
 *   - with at least one letter;
 *   - begun by a letter or an apostrophe ('t Hooft), so never by a space,
 *     a mark, a hyphen, a full stop or a middle dot;
 *   - without a space at the end or two spaces in a row;
 *   - with each mark right after a letter or another mark, and at most
 *     POLICY_NAME_MARKS_MAX (4) marks in a row.
 *
 * So digits, symbols and emoji, all other punctuation, every control (C0,
 * C1), format character (the bidi controls U+200E, U+200F, U+061C,
 * U+202A-U+202E, U+2066-U+2069, zero-width characters), separator other
 * than U+0020, private-use and unassigned code point (the non-characters
 * U+FDD0-U+FDEF, U+FFFE, U+FFFF among them) and enclosing mark (Me: a
 * circle, keycap or prohibition sign drawn round a letter) is refused.
 * Categories are those of libunistring's Unicode tables, so a letter newer
 * than the installed library counts as unassigned. Four marks in a row
 * are more than names need (after NFC an accented Latin, Greek or
 * Cyrillic letter keeps at most two, a Hebrew, Arabic, Thai or Indic
 * consonant three); more only stack above and below one letter and can
 * cover the lines around it (the status on a checkpoint's screen). A
 * name within this rule is always one a credential may carry
 * (cred_name_valid), which is looser: FORMAT.md is fixed, and codes from
 * elsewhere may hold more.
 */
#define POLICY_NAME_MARKS_MAX 4
/* Longest input policy_name_normalise looks at: NFC shrinks UTF-8 at most
 * 3.5 times (U+1FBE U+0308 U+0301 -> U+0390), so no longer input could
 * come within CRED_NAME_MAX. A bound on work, not part of the rule. */
#define POLICY_NAME_INPUT_MAX (4 * CRED_NAME_MAX)
/* The 400 message for a name that breaks the rule: says what a name may
 * hold, never what was sent. */
#define POLICY_NAME_MESSAGE                                                                        \
	"Field 'name' must be 1 to 128 bytes of letters (with their accents) and single "          \
	"spaces between words; it may also hold apostrophes, hyphens, full stops and middle "      \
	"dots, but no digits, symbols or control characters."

/*
 * Normalises in[0..len) to NFC into out (cap bytes, at least
 * CRED_NAME_MAX + 1) and applies the rule above. Returns 0 with out
 * holding the name and a NUL, and *outlen (when outlen is not NULL) its
 * length; or AK_EINVAL, with out "" and *outlen 0, when in breaks the
 * rule, is not valid UTF-8, is longer than 128 bytes after NFC (or than
 * POLICY_NAME_INPUT_MAX before), or when out is NULL or cap too small.
 * One code for every refusal: a caller answers them all the same way.
 * AK_ENOMEM only if libunistring fails to allocate, which the bounds
 * above keep it from needing to. Every copy of the name it makes is
 * wiped before it returns.
 */
int policy_name_normalise(char *out, size_t cap, const char *in, size_t len, size_t *outlen);
/* 1 when s[0..len) keeps the rule above and is already in NFC, as a name
 * enrolment stored must be; else 0. */
int policy_name_valid(const char *s, size_t len);
/* These three return 1 when valid, else 0. Phones: 6-20 characters (the
 * '+' counted), digits with an optional leading '+'. */
int policy_phone_valid(const char *s, size_t len);
/* Passphrases: 8-256 bytes of valid UTF-8, no NUL. */
int policy_passphrase_valid(const char *s, size_t len);
/*
 * Account names are labels for devices and posts ("checkpoint-17",
 * "officer.hefei.3"), not people's names: 1-64 of [A-Za-z0-9._-]. That
 * keeps personal data out of the accounts table and out of what residents
 * see as "who accessed my data".
 */
int policy_account_name_valid(const char *s, size_t len);

/*
 * Appeals (service/appeal.h). A resident appeals with a reason from a
 * closed list and a text of at most POLICY_APPEAL_TEXT_MAX characters
 * (Unicode code points, so 500 Chinese characters as well as 500 Latin
 * letters), which is sealed like a name. An officer answers upheld or
 * rejected, each with reasons of its own.
 */
#define POLICY_APPEAL_TEXT_MAX 500
/* Its longest UTF-8: four bytes a code point. */
#define POLICY_APPEAL_TEXT_BYTES (4 * POLICY_APPEAL_TEXT_MAX)
/* Default of serve --appeal-deadline: an answer is owed within a day. */
#define POLICY_APPEAL_DEADLINE_DEFAULT 86400
#define POLICY_APPEAL_DEADLINE_MAX     (366u * 86400u)
/* The 400 message for a text that breaks the rule. */
#define POLICY_APPEAL_TEXT_MESSAGE                                                                 \
	"Field 'text' must be at most 500 characters, with no control characters other than "      \
	"line breaks and tabs."

/* An appeal's reason word (wrong_person negative_test not_in_risk_area
 * quarantine_completed other) -> its DET_* detail, or -1. */
int policy_appeal_reason_parse(const char *w, size_t len);
/* An answer's reason word -> its DET_* detail, or -1 when it is not one
 * of the decision's: upheld (evidence_accepted record_error), rejected
 * (evidence_insufficient status_confirmed). */
int policy_appeal_answer_parse(int upheld, const char *w, size_t len);
/* 1 when s[0..len) is valid UTF-8 of at most POLICY_APPEAL_TEXT_MAX code
 * points with no control character but line feed, carriage return and
 * tab (the empty text included), else 0. */
int policy_appeal_text_valid(const char *s, size_t len);

#endif
