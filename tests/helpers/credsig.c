/*
 * credsig: a test helper that prints the signature of the credential on
 * standard input (one line) as 128 lowercase hex digits: what
 * ankang-verify keeps in its spool as the proof that it saw the code, and
 * what a test uploads with a scan to POST /v1/scans. Exit 2 when the line
 * is not a well-formed credential. Test use only, never installed.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/cred.h"

int main(void)
{
	char line[CRED_TEXT_MAX + 2], hex[2 * CRED_SIG_BYTES + 1];
	struct cred c;
	size_t len;

	if (sodium_init() < 0 || fgets(line, sizeof line, stdin) == NULL)
		return 2;
	len = strcspn(line, "\r\n");
	if (cred_parse(&c, line, len) != 0)
		return 2;
	util_hex_encode(hex, c.sig, sizeof c.sig);
	puts(hex);
	sodium_memzero(&c, sizeof c);
	return 0;
}
