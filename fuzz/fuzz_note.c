/*
 * fuzz_note: note_open on arbitrary bytes, with the test vectors' keys
 * trusted (so inputs derived from the seed corpus reach signature
 * verification, not just parsing).
 *
 * Invariants checked: no crash or out-of-bounds read; on success the text
 * is a proper prefix of the note that note_text_valid accepts, and at
 * least one trusted key's bit is set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/key.h"
#include "crypto/note.h"

static const char *const vkeys[] = {
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop",
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
    "ankang.test/root+16b145fc+AdgfIFToxVRuWg+y9JNXaRwMRD4OaXl3LC7Dj9SnXhSn",
    "ankang.test/audit+f1b26f1f+AVbZmYa5DWlifiChnII+8vttX+Ms45ohuD3Qgm/gmrZK",
};

static struct key_verifier keys[AK_ARRAY_LEN(vkeys)];
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *note = (const char *)data;
	size_t tl = 0;
	uint32_t bits = 0;

	if (!ready) {
		for (size_t i = 0; i < AK_ARRAY_LEN(vkeys); i++) {
			if (key_verifier_parse(&keys[i], vkeys[i], strlen(vkeys[i])) != 0)
				abort();
		}
		ready = 1;
	}
	if (note_open(note, size, keys, AK_ARRAY_LEN(keys), &tl, &bits) == 0) {
		if (tl == 0 || tl >= size || !note_text_valid(note, tl) || bits == 0)
			abort();
	}
	note_text_valid(note, size);
	return 0;
}
