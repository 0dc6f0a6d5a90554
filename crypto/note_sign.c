/*
 * note_sign: producing C2SP signed notes (see note.c for the format).
 *
 *   <text> "\n" ("— " <name> " " base64(key_id[4] || sig[64]) "\n")*
 *
 * Invariant: whatever this file produces, note_open accepts under any of
 * the signers' verifier keys. So the text is checked with the very rule
 * note_open applies (note_text_valid) and the whole note must fit in
 * NOTE_MAX_BYTES. Ed25519 is deterministic: the same text and keys give
 * the same note byte for byte.
 *
 * Must never: be linked into the verifier program.
 */
#include "crypto/note_sign.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/note.h"

#define SIG_PREFIX     "\xe2\x80\x94 " /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4
#define SIG_B64_LEN    92 /* base64 of 4 + 64 bytes */

int note_sign(char **out, size_t *outlen, const char *text, size_t len,
	      const key_signer *const *signers, size_t n)
{
	size_t total = len + 1, at;
	char *note;

	*out = NULL;
	if (n == 0 || n > NOTE_MAX_SIGS || len > NOTE_MAX_BYTES || !note_text_valid(text, len))
		return AK_EINVAL;
	for (size_t i = 0; i < n; i++)
		total += SIG_PREFIX_LEN + strlen(key_signer_verifier(signers[i])->name) + 1 +
			 SIG_B64_LEN + 1;
	if (total > NOTE_MAX_BYTES)
		return AK_EINVAL;
	if ((note = malloc(total + 1)) == NULL)
		return AK_ENOMEM;

	memcpy(note, text, len);
	note[len] = '\n';
	at = len + 1;
	for (size_t i = 0; i < n; i++) {
		const struct key_verifier *v = key_signer_verifier(signers[i]);
		size_t name_len = strlen(v->name);
		uint8_t blob[4 + KEY_SIG_BYTES];

		blob[0] = (uint8_t)(v->id >> 24);
		blob[1] = (uint8_t)(v->id >> 16);
		blob[2] = (uint8_t)(v->id >> 8);
		blob[3] = (uint8_t)v->id;
		key_signer_sign(signers[i], blob + 4, (const uint8_t *)text, len);
		memcpy(note + at, SIG_PREFIX, SIG_PREFIX_LEN);
		at += SIG_PREFIX_LEN;
		memcpy(note + at, v->name, name_len);
		at += name_len;
		note[at++] = ' ';
		util_b64_encode(note + at, blob, sizeof blob);
		at += SIG_B64_LEN;
		note[at++] = '\n';
	}
	note[at] = '\0';
	*out = note;
	*outlen = at;
	return 0;
}
