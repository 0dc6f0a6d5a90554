/*
 * policy: the service's rules for what it accepts, each in one place so a
 * newcomer (or an inspector) can read them: the closed lists of status
 * reasons and look-up purposes, what a name, a phone number, a passphrase
 * and an account name may be, and the limits on codes.
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
/* Names: what a credential may carry (cred_name_valid, the rule of
 * cred_claims_check). These four return 1 when valid, else 0. */
int policy_name_valid(const char *s, size_t len);
/* Phones: 6-20 characters (the '+' counted), digits with an optional
 * leading '+'. */
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

#endif
