/*
 * sign_list: a test helper that signs a trust list or a revocation list
 * with a data folder's root key and a chosen `issued` time, as the
 * service would have signed it then, so that ankang-verify's rollback
 * protection and staleness checks can be tested with genuine signatures.
 *
 *   sign_list --data DIR trust ISSUED
 *       DIR/public/trust.note's list, re-signed with issued = ISSUED
 *   sign_list --data DIR revocations ISSUED [CTI_HEX...]
 *       a revocation list for DIR's origin listing those ctis
 *
 * Prints the signed note on stdout. Test use only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/key_secret.h"
#include "crypto/note_sign.h"
#include "crypto/revoc.h"
#include "crypto/trust.h"

static int die(const char *what, int rc)
{
	fprintf(stderr, "sign_list: %s: %s\n", what, ak_strerror(rc));
	return 2;
}

int main(int argc, char **argv)
{
	static struct trust_list t;
	struct revoc_list r;
	key_signer *root = NULL;
	char path[4096], *note = NULL, *text = NULL, *out = NULL;
	size_t len, tlen, olen;
	uint64_t issued;
	int rc;

	if (sodium_init() < 0 || argc < 5 || strcmp(argv[1], "--data") != 0 ||
	    util_parse_u64(argv[4], strlen(argv[4]), &issued) != 0) {
		fprintf(stderr, "usage: sign_list --data DIR trust|revocations ISSUED [CTI...]\n");
		return 2;
	}
	snprintf(path, sizeof path, "%s/keys/root.key", argv[2]);
	if ((rc = key_signer_load(&root, path)) != 0)
		return die(path, rc);
	snprintf(path, sizeof path, "%s/public/trust.note", argv[2]);
	if ((rc = util_read_file(path, TRUST_TEXT_MAX, &note, &len)) != 0 ||
	    (rc = trust_open(&t, note, len, key_signer_verifier(root))) != 0)
		return die(path, rc);
	if (strcmp(argv[3], "trust") == 0) {
		t.issued = issued;
		if ((rc = trust_format(&text, &tlen, &t)) != 0)
			return die("trust_format", rc);
	} else if (strcmp(argv[3], "revocations") == 0) {
		memset(&r, 0, sizeof r);
		snprintf(r.origin, sizeof r.origin, "%s", t.origin);
		r.issued = issued;
		r.n = (size_t)(argc - 5);
		if (r.n > 0 && (r.cti = calloc(r.n, sizeof *r.cti)) == NULL)
			return die("calloc", AK_ENOMEM);
		for (size_t i = 0; i < r.n; i++)
			if (util_hex_decode(r.cti[i], CRED_CTI_BYTES, argv[5 + i],
					    strlen(argv[5 + i])) != 0)
				return die("cti", AK_EINVAL);
		revoc_normalise(&r);
		if ((rc = revoc_format(&text, &tlen, &r)) != 0)
			return die("revoc_format", rc);
		revoc_free(&r);
	} else {
		return die(argv[3], AK_EINVAL);
	}
	if ((rc = note_sign(&out, &olen, text, tlen, (const key_signer *const *)&root, 1)) != 0)
		return die("note_sign", rc);
	fwrite(out, 1, olen, stdout);
	free(out);
	free(text);
	free(note);
	key_signer_free(root);
	return 0;
}
