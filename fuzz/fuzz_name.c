/*
 * fuzz_name: libFuzzer target for the enrolment name rule
 * (service/policy.c: policy_name_normalise, policy_name_valid).
 *
 * Whatever policy_name_normalise accepts must be a name policy_name_valid
 * accepts and a credential may carry (cred_name_valid), and normalising
 * it again must give it back unchanged (NFC is idempotent). Whatever it
 * refuses is refused with AK_EINVAL and an empty output. Whatever
 * policy_name_valid accepts, policy_name_normalise accepts unchanged.
 *
 * Seeds: fuzz/corpus/name/. Build and run: see fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "service/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char out[CRED_NAME_MAX + 1], again[CRED_NAME_MAX + 1];
	size_t n = 0, m = 0;
	int rc = policy_name_normalise(out, sizeof out, in, size, &n);

	if (rc == 0) {
		if (n != strlen(out) || !policy_name_valid(out, n) || !cred_name_valid(out, n))
			__builtin_trap();
		if (policy_name_normalise(again, sizeof again, out, n, &m) != 0 || m != n ||
		    memcmp(again, out, n) != 0)
			__builtin_trap();
	} else if (rc != AK_EINVAL || out[0] != '\0' || n != 0) {
		__builtin_trap();
	}
	if (policy_name_valid(in, size) && (rc != 0 || n != size || memcmp(out, in, size) != 0))
		__builtin_trap();
	return 0;
}
