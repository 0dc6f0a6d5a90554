/*
 * note_sign: producing C2SP signed notes (see note.h for the format).
 * Not linked into the verifier program.
 */
#ifndef ANKANG_NOTE_SIGN_H
#define ANKANG_NOTE_SIGN_H

#include <stddef.h>

#include "crypto/key_secret.h"

/*
 * Signs text[0..len) with each of the n signers, in order. The text must
 * be non-empty, end in "\n" and contain no blank line. Returns 0 and a
 * malloc'd, NUL-terminated note in *out (length *outlen), or AK_EINVAL,
 * AK_ENOMEM.
 */
int note_sign(char **out, size_t *outlen, const char *text, size_t len,
	      const key_signer *const *signers, size_t n);

#endif
