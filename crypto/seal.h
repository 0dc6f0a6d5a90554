/*
 * seal: sealing of residents' personal data (DESIGN.md, "Sealing personal
 * data"), so that the database file, its WAL and its backups hold no
 * readable name, ID number or phone.
 *
 *   KEK (file, 0600, outside the database)
 *    ├─ crypto_kdf subkey "ankangep": wraps each epoch key
 *    ├─ crypto_kdf subkey "ankangbi": keyed BLAKE2b blind index of ID numbers
 *    ├─ crypto_kdf subkey "ankangps": keyed BLAKE2b audit pseudonyms
 *    ├─ crypto_kdf subkey "ankangck": the KEK's check value (stored in
 *    │  the database, so that a wrong KEK is noticed)
 *    ├─ crypto_kdf subkey "ankangsg": keyed hashes of issued codes'
 *    │  signatures (an offline scan's proof that the code was seen)
 *    └─ crypto_kdf subkey "ankanges": MACs of the requests for epoch keys
 *       and of their answers between nodes (service/epochshare.h)
 *   epoch keys (random, one per KEK epoch, in a file of their own beside
 *   the KEK, each wrapped by the KEK: crypto/epoch.h; AD = the epoch's
 *   number and creation time)
 *    └─ wraps each resident's data key (AD = resident id || epoch number)
 *   data key (random per resident, stored only wrapped)
 *    └─ seals name / id_number / phone, XChaCha20-Poly1305,
 *       AD = resident id || field name, so a sealed field cannot be moved
 *       to another row or another column; each field padded first to one
 *       length per field, so a sealed length says nothing of the clear
 *       text's.
 *
 * Erasure is destroying the wrapped data key: every field sealed under it
 * becomes noise, while the log (which holds only pseudonyms) is untouched.
 * Epoch keys are rotated (service/rewrap.h): every live data key is
 * wrapped again under a new epoch key and the old one destroyed, so a
 * copy of the database taken before an erasure, whose wrapped keys are
 * under the old epoch, stops opening once the rotation is over.
 *
 * Every key lives in sodium_malloc'd memory and is wiped on free. The
 * verifier program must never link this file.
 */
#ifndef ANKANG_SEAL_H
#define ANKANG_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_BYTES       32
#define SEAL_NONCE_BYTES     24
#define SEAL_TAG_BYTES       16
#define SEAL_OVERHEAD        (SEAL_NONCE_BYTES + SEAL_TAG_BYTES)
#define SEAL_WRAPPED_BYTES   (SEAL_KEY_BYTES + SEAL_OVERHEAD)
#define SEAL_BLIND_BYTES     32
#define SEAL_PSEUDONYM_BYTES 16
#define SEAL_CHECK_BYTES     32
#define SEAL_SIG_HASH_BYTES  16
#define SEAL_SHARE_MAC_BYTES 32

typedef struct seal_kek seal_kek;

/*
 * A resident's data key, held by the caller for the span of one request:
 * on its stack, wiped with seal_datakey_wipe on every path out. Not in a
 * guarded sodium_malloc block: that costs mmap, mprotect and munmap (a TLB
 * flush on every CPU) per request, and measured at 22% of the service's
 * time on GET /v1/me/code.
 */
typedef struct seal_datakey {
	uint8_t key[SEAL_KEY_BYTES];
} seal_datakey;

/* Writes a new random KEK to path (0600, refuses to overwrite). */
int seal_kek_create(const char *path);
/* Loads a KEK file; AK_EPERM when group or others may read it. */
int seal_kek_load(seal_kek **out, const char *path);
void seal_kek_free(seal_kek *k);

/*
 * An epoch key in the clear, and its number (crypto/epoch.h keeps them).
 * Held like a data key: on the caller's stack for one call, wiped with
 * seal_epochkey_wipe on every path out.
 */
typedef struct seal_epochkey {
	uint64_t number;
	uint8_t key[SEAL_KEY_BYTES];
} seal_epochkey;

/* A fresh random epoch key numbered `number` into *out. */
void seal_epochkey_new(uint64_t number, seal_epochkey *out);
/* Wraps an epoch key with the KEK, the epoch's number and creation time
 * as associated data, so a wrapped key cannot be renumbered or redated. */
void seal_epochkey_wrap(const seal_kek *k, const seal_epochkey *ek, uint64_t created,
			uint8_t out[SEAL_WRAPPED_BYTES]);
/* Unwraps one into *out; AK_ECRYPTO (and *out wiped) when it was wrapped
 * by another KEK, under another number or time, or altered. */
int seal_epochkey_unwrap(const seal_kek *k, uint64_t number, uint64_t created,
			 const uint8_t wrapped[SEAL_WRAPPED_BYTES], seal_epochkey *out);
/* Wipes an epoch key; NULL is a no-op. */
void seal_epochkey_wipe(seal_epochkey *ek);

/* A fresh random data key for a resident into *out, and its form wrapped
 * under the epoch key ek to store. Returns 0. */
int seal_datakey_new(const seal_epochkey *ek, uint64_t resident_id,
		     uint8_t wrapped[SEAL_WRAPPED_BYTES], seal_datakey *out);
/* Wraps an existing data key under ek (a rotation re-wrapping it). */
int seal_datakey_wrap(const seal_epochkey *ek, uint64_t resident_id, const seal_datakey *dk,
		      uint8_t wrapped[SEAL_WRAPPED_BYTES]);
/* Unwraps a stored data key into *out; AK_ECRYPTO (and *out wiped) if it
 * is not this resident's, was wrapped under another epoch, or was
 * altered. */
int seal_datakey_unwrap(const seal_epochkey *ek, uint64_t resident_id,
			const uint8_t wrapped[SEAL_WRAPPED_BYTES], seal_datakey *out);
/* Wipes a data key; NULL is a no-op. */
void seal_datakey_wipe(seal_datakey *dk);

/* The longest padded clear text of a field (seal_field's `padded`). */
#define SEAL_FIELD_MAX 2048

/*
 * Seals pt[0..n) as field `field` of resident_id. The clear text is first
 * padded to exactly `padded` bytes (ISO/IEC 7816-4, libsodium's
 * sodium_pad: a 0x80 byte, then zeros), so every field sealed with the
 * same `padded` has the same sealed length, whatever its clear text's.
 * out holds padded + SEAL_OVERHEAD bytes (nonce || ciphertext || tag).
 * Returns 0, or AK_EINVAL when n >= padded (the padding takes one byte at
 * least) or padded > SEAL_FIELD_MAX.
 */
int seal_field(const seal_datakey *dk, uint64_t resident_id, const char *field, const uint8_t *pt,
	       size_t n, size_t padded, uint8_t *out);
/*
 * Opens a sealed field of exactly padded + SEAL_OVERHEAD bytes into out,
 * which holds `padded` bytes, and sets *n to the clear text's length;
 * out[*n..padded) is zeroed. Returns 0; AK_EINVAL for any other length;
 * AK_ECRYPTO when it was sealed for another resident, field or key, or
 * was altered; AK_ECORRUPT when it opens but its padding is not what
 * seal_field writes. The AEAD has then proved the bytes were sealed by
 * someone holding the data key, so this is not a tampered row but a
 * sealer that is not this code: it is refused like a corrupt row, and
 * out is wiped.
 */
int seal_open_field(const seal_datakey *dk, uint64_t resident_id, const char *field,
		    const uint8_t *ct, size_t ctlen, size_t padded, uint8_t *out, size_t *n);

/* The blind index of an ID number: equal numbers, equal indexes; nothing
 * else learnable without the KEK. */
void seal_blind_index(const seal_kek *k, uint8_t out[SEAL_BLIND_BYTES], const char *id_number,
		      size_t len);
/* A resident's audit pseudonym: what the log's subject field holds. */
void seal_pseudonym(const seal_kek *k, uint8_t out[SEAL_PSEUDONYM_BYTES], uint64_t resident_id);

/* The KEK's check value: a MAC of a fixed text under a subkey, so the
 * value says whether a KEK is the one that made it and nothing else. */
void seal_kek_check(const seal_kek *k, uint8_t out[SEAL_CHECK_BYTES]);

/* A keyed hash of a code's 64-byte signature: what the service keeps to
 * recognise, later, someone who has seen the code. */
void seal_sig_hash(const seal_kek *k, uint8_t out[SEAL_SIG_HASH_BYTES], const uint8_t sig[64]);

/* A MAC of msg[0..n) under the KEK's epoch-sharing subkey: every node
 * holds it, the database does not (service/epochshare.h). */
void seal_share_mac(const seal_kek *k, uint8_t out[SEAL_SHARE_MAC_BYTES], const uint8_t *msg,
		    size_t n);

#endif
