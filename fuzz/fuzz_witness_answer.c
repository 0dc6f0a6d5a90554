/*
 * fuzz_witness_answer: witnessing_answer_cosignature on arbitrary bytes,
 * as a witness's 200 answer to add-checkpoint (service/witnessing.c): the
 * only bytes of a witness the log keeps. The checkpoint and the trusted
 * witness are the known answer of tests/vectors/cosig.json, so that
 * inputs derived from its line reach the signature check.
 *
 * Invariants checked: no crash or out-of-bounds read; a line taken is one
 * whole line of the input, ends in "\n", and verifies with the witness's
 * key when put after the checkpoint.
 *
 * Seeds: fuzz/corpus/witness_answer/. Build and run: see fuzz/README.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/cosig.h"
#include "service/witnessing.h"

static const char vkey[] =
    "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
static const char note[] = "example.com/behind-the-sofa\n"
			   "20852163\n"
			   "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
			   "\n";

static struct key_verifier key;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *ans = (const char *)data;
	char line[COSIG_LINE_MAX], both[sizeof note + COSIG_LINE_MAX];
	uint32_t by = 0;
	size_t ll;

	if (!ready) {
		if (cosig_verifier_parse(&key, vkey, strlen(vkey)) != 0)
			abort();
		ready = 1;
	}
	if (witnessing_answer_cosignature(note, strlen(note), &key, ans, size, line) != 0)
		return 0;
	ll = strlen(line);
	if (ll == 0 || line[ll - 1] != '\n' || ll > size)
		abort();
	/* A whole line of the input: at its start or after a newline. */
	{
		int found = 0;
		for (size_t i = 0; i + ll <= size && !found; i++)
			found = (i == 0 || ans[i - 1] == '\n') && memcmp(ans + i, line, ll) == 0;
		if (!found)
			abort();
	}
	memcpy(both, note, strlen(note));
	memcpy(both + strlen(note), line, ll);
	if (cosig_open(both, strlen(note) + ll, &key, 1, &by, NULL) != 0 || by != 1)
		abort();
	return 0;
}
