/*
 * epoch: the KEK's epoch keys and the file that keeps them (DESIGN.md,
 * "Sealing personal data": backups).
 *
 * Residents' data keys are wrapped under an epoch key, not under the KEK
 * itself (crypto/seal.h). Epoch keys are random; each is kept only
 * wrapped by the KEK, in a file of its own (DIR/keys/epochs.key, 0600),
 * never in the database, so a copy of the database holds none of them. A
 * rotation (service/rewrap.h) adds a new epoch, wraps every live data key
 * again under it, and then destroys the older epochs by writing the file
 * again without them: from then on no copy of the database taken before
 * the rotation opens anyone with the live folder's keys.
 *
 * The file (docs/FORMATS.md), text, written atomically:
 *
 *   ankang-epochs-v1\n
 *   <number> <created> <wrapped>\n        one line per epoch, 1 to EPOCH_MAX
 *
 * number: the epoch, a canonical decimal >= 1, strictly ascending from
 * line to line (numbers are consecutive as epoch_add makes them, but a
 * parser needs only the order). created: unix seconds when it was made,
 * canonical decimal. wrapped: padded base64 of the 72 bytes of
 * seal_epochkey_wrap (nonce || ciphertext || tag), whose associated data
 * binds number and created. The last line is the current epoch, which
 * wraps new data keys; more than one line means a rotation is under way.
 *
 * An epoch_set is the file loaded: thread-safe (a mutex), its keys in
 * sodium_malloc'd memory, wiped on close; every change is written to the
 * file (fsync, rename, fsync of the directory) before memory changes, so
 * a key is never used before it is durable, nor forgotten before the
 * file has forgotten it.
 *
 * Never: write an epoch key in the clear anywhere, or drop the current
 * epoch.
 */
#ifndef ANKANG_EPOCH_H
#define ANKANG_EPOCH_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/seal.h"

#define EPOCH_MAGIC    "ankang-epochs-v1"
#define EPOCH_MAX      4  /* epochs in one file: a rotation needs two */
#define EPOCH_B64_LEN  96 /* base64 of SEAL_WRAPPED_BYTES */
#define EPOCH_LINE_MAX (20 + 1 + 20 + 1 + EPOCH_B64_LEN + 1)
#define EPOCH_FILE_MAX (sizeof EPOCH_MAGIC + EPOCH_MAX * EPOCH_LINE_MAX)

/* One line of the file, as it is written (the key still wrapped). */
struct epoch_line {
	uint64_t number, created;
	uint8_t wrapped[SEAL_WRAPPED_BYTES];
};

/*
 * Parses exactly text[0..len) into lines[0..*n) (room for EPOCH_MAX).
 * Strict: the magic line, then 1 to EPOCH_MAX lines as above, each
 * ending in "\n", nothing after the last. 0 or AK_EINVAL.
 */
int epoch_parse(const char *text, size_t len, struct epoch_line *lines, size_t *n);
/* The file's text for lines[0..n) into out (cap bytes, NUL added);
 * returns its length or AK_EINVAL (n out of range, numbers not
 * ascending) or AK_ETOOBIG. */
int epoch_format(char *out, size_t cap, const struct epoch_line *lines, size_t n);

/* Writes a new file at path holding epoch 1, made now (0600; refuses,
 * AK_EEXIST, to overwrite). */
int epoch_file_create(const char *path, const seal_kek *k, uint64_t now);

typedef struct epoch_set epoch_set;

/*
 * Loads the file at path and unwraps every epoch key with k, which must
 * outlive the set. 0; AK_ENOENT (no file); AK_EPERM (group or others may
 * read it); AK_EINVAL (not the format); AK_ECRYPTO (a line does not open
 * under this KEK); AK_EIO; AK_ENOMEM.
 */
int epoch_open(epoch_set **out, const char *path, const seal_kek *k);
/* Wipes and frees; NULL is a no-op. */
void epoch_close(epoch_set *s);

/*
 * The current epoch: the newest held, or with a limit set, the newest
 * held at or below the limit (else the oldest held). Several nodes on one
 * PostgreSQL database (service/epochshare.h) set the limit to the newest
 * epoch every node holds, so that no node wraps a key under an epoch
 * another cannot open yet. 0 (the default): no limit.
 */
void epoch_set_limit(epoch_set *s, uint64_t number);
/* The current epoch key into *out. */
void epoch_current(epoch_set *s, seal_epochkey *out);
/* The current epoch's number: no key copied. */
uint64_t epoch_current_number(epoch_set *s);
/* Epoch `number`'s key into *out (NULL: only whether it is held);
 * AK_ENOENT when the set does not hold it (destroyed by a rotation, or
 * never made). */
int epoch_key(epoch_set *s, uint64_t number, seal_epochkey *out);

/* What the set holds: numbers and creation times, oldest first. */
struct epoch_info {
	uint64_t number, created;
};
/* Fills out[0..cap) and returns how many epochs the set holds (>= 1). */
size_t epoch_list(epoch_set *s, struct epoch_info *out, size_t cap);

/*
 * Adds a new random epoch, numbered one past the current, made at now:
 * the file is written with it first, then it becomes the current epoch.
 * *number (may be NULL) receives its number. AK_ETOOBIG when the set holds
 * EPOCH_MAX already; AK_EIO (nothing changed).
 */
int epoch_add(epoch_set *s, uint64_t now, uint64_t *number);
/*
 * Adds a given epoch key (one made by another node, service/epochshare.h),
 * created at `created`, numbered above every epoch held: the file is
 * written with it first. 0; AK_EINVAL (not above the newest); AK_ETOOBIG
 * (EPOCH_MAX held); AK_EIO (nothing changed).
 */
int epoch_insert(epoch_set *s, const seal_epochkey *ek, uint64_t created);
/* Destroys the one epoch `number`, whatever its age (an operator's
 * repair of a copy that is not the epoch the database lists under that
 * number; the service never calls it on the database's word): the file
 * first. AK_ENOENT (not held); AK_EINVAL (the only epoch held); AK_EIO. */
int epoch_forget(epoch_set *s, uint64_t number);
/*
 * Destroys every epoch older than `number`, which must be held: the file
 * is written without them first, then their keys are wiped. *dropped (may
 * be NULL) receives how many went. AK_ENOENT when `number` is not held;
 * AK_EIO (nothing changed).
 */
int epoch_drop_below(epoch_set *s, uint64_t number, size_t *dropped);

#endif
