/*
 * epoch_probe: a test helper for tests/sh/pg_epochs.sh, playing a node
 * (it holds the KEK) and an attacker (a database dump and every key the
 * test can find) against the epoch sharing of service/epochshare.h. The
 * byte formats are docs/FORMATS.md's "Epoch requests and answers",
 * written out again here so the test does not trust the code it tests.
 *
 *   epoch_probe request KEK NODE NUMBER MADE_MS SKFILE
 *       a genuine request: prints its 64 bytes in hex, writes the
 *       one-time secret key to SKFILE (0600)
 *   epoch_probe open KEK SKFILE PKHEX ANSWERHEX NUMBER CREATED
 *       checks the answer's MAC and opens its box: exit 0 when both hold
 *   epoch_probe forge PKHEX NUMBER CREATED
 *       an answer a database owner could write: a key it knows sealed to
 *       the request's public key, and a MAC it has to guess
 *   epoch_probe scan KEK DUMP BLOBS EPOCHS...
 *       every epoch key in the EPOCHS files (opened with the KEK): is one
 *       in DUMP, as bytes or as hex? does any blob of BLOBS (hex, one a
 *       line) open as a KEK-wrapped epoch key, a sealed box to any of
 *       those keys, or an XChaCha20-Poly1305 box under one? Prints
 *       "keys K blobs B opened O clear C".
 *
 * Prints no key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/epoch.h"
#include "crypto/seal.h"

#define PT_BYTES  (8 + 8 + SEAL_KEY_BYTES)
#define BOX_BYTES (crypto_box_SEALBYTES + PT_BYTES)

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void print_hex(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static int unhex(uint8_t *out, size_t n, const char *s)
{
	return strlen(s) == 2 * n && util_hex_decode(out, n, s, 2 * n) == 0 ? 0 : -1;
}

static void answer_mac(const seal_kek *k, uint64_t number, uint64_t created, const uint8_t *pk,
		       const uint8_t *box, uint8_t *out)
{
	static const char label[] = "ankang-epoch-answer-v1";
	uint8_t msg[sizeof label + 16 + 32 + BOX_BYTES];

	memcpy(msg, label, sizeof label);
	put_u64(msg + sizeof label, number);
	put_u64(msg + sizeof label + 8, created);
	memcpy(msg + sizeof label + 16, pk, 32);
	memcpy(msg + sizeof label + 48, box, BOX_BYTES);
	seal_share_mac(k, out, msg, sizeof msg);
}

static int do_request(char **argv)
{
	static const char label[] = "ankang-epoch-request-v1";
	uint8_t msg[sizeof label + 1 + 80 + 16 + 32], req[64];
	uint8_t *sk = sodium_malloc(crypto_box_SECRETKEYBYTES);
	seal_kek *k = NULL;
	size_t nlen = strlen(argv[3]), off = sizeof label;
	char hex[2 * crypto_box_SECRETKEYBYTES + 2];
	int rc;

	if (sk == NULL || nlen > 80 || seal_kek_load(&k, argv[2]) != 0)
		return 2;
	crypto_box_keypair(req, sk);
	memcpy(msg, label, sizeof label);
	msg[off++] = (uint8_t)nlen;
	memcpy(msg + off, argv[3], nlen);
	off += nlen;
	put_u64(msg + off, strtoull(argv[4], NULL, 10));
	put_u64(msg + off + 8, strtoull(argv[5], NULL, 10));
	off += 16;
	memcpy(msg + off, req, 32);
	off += 32;
	seal_share_mac(k, req + 32, msg, off);
	util_hex_encode(hex, sk, crypto_box_SECRETKEYBYTES);
	hex[2 * crypto_box_SECRETKEYBYTES] = '\n';
	rc = util_write_file_atomic(argv[6], hex, 2 * crypto_box_SECRETKEYBYTES + 1, 0600, 1);
	sodium_memzero(hex, sizeof hex);
	sodium_free(sk);
	seal_kek_free(k);
	if (rc != 0)
		return 2;
	print_hex(req, sizeof req);
	return 0;
}

static int do_open(char **argv)
{
	uint8_t sk[32], pk[32], ans[BOX_BYTES + 32], mac[32], pt[PT_BYTES];
	char *text = NULL;
	size_t len = 0;
	seal_kek *k = NULL;
	int rc = 1;

	if (seal_kek_load(&k, argv[2]) != 0 || util_read_file(argv[3], 200, &text, &len) != 0 ||
	    len < 64 || util_hex_decode(sk, 32, text, 64) != 0 || unhex(pk, 32, argv[4]) != 0 ||
	    unhex(ans, sizeof ans, argv[5]) != 0)
		return 2;
	answer_mac(k, strtoull(argv[6], NULL, 10), strtoull(argv[7], NULL, 10), pk, ans, mac);
	if (sodium_memcmp(mac, ans + BOX_BYTES, 32) == 0 &&
	    crypto_box_seal_open(pt, ans, BOX_BYTES, pk, sk) == 0)
		rc = 0;
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(pt, sizeof pt);
	free(text);
	seal_kek_free(k);
	return rc;
}

static int do_forge(char **argv)
{
	uint8_t pk[32], pt[PT_BYTES], ans[BOX_BYTES + 32];

	if (unhex(pk, 32, argv[2]) != 0)
		return 2;
	put_u64(pt, strtoull(argv[3], NULL, 10));
	put_u64(pt + 8, strtoull(argv[4], NULL, 10));
	memset(pt + 16, 0x41, SEAL_KEY_BYTES); /* a key the forger knows */
	if (crypto_box_seal(ans, pt, sizeof pt, pk) != 0)
		return 2;
	randombytes_buf(ans + BOX_BYTES, 32); /* it cannot make the MAC */
	print_hex(ans, sizeof ans);
	return 0;
}

struct found {
	uint64_t number, created;
	uint8_t key[SEAL_KEY_BYTES];
};

static int has(const char *buf, size_t len, const uint8_t *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

static int do_scan(int argc, char **argv)
{
	static struct found keys[64];
	size_t nk = 0, nb = 0, opened = 0, clear = 0, dlen = 0, blen = 0;
	char *dump = NULL, *blobs = NULL, *line, *save = NULL;
	seal_kek *k = NULL;

	if (seal_kek_load(&k, argv[2]) != 0 ||
	    util_read_file(argv[3], (size_t)1 << 30, &dump, &dlen) != 0 ||
	    util_read_file(argv[4], (size_t)1 << 26, &blobs, &blen) != 0)
		return 2;
	for (int i = 5; i < argc; i++) {
		struct epoch_info info[EPOCH_MAX];
		epoch_set *e = NULL;
		size_t n;
		if (epoch_open(&e, argv[i], k) != 0)
			return 2;
		n = epoch_list(e, info, EPOCH_MAX);
		for (size_t j = 0; j < n && nk < 64; j++) {
			seal_epochkey ek;
			if (epoch_key(e, info[j].number, &ek) != 0)
				return 2;
			keys[nk].number = info[j].number;
			keys[nk].created = info[j].created;
			memcpy(keys[nk].key, ek.key, SEAL_KEY_BYTES);
			seal_epochkey_wipe(&ek);
			nk++;
		}
		epoch_close(e);
	}
	for (size_t i = 0; i < nk; i++) {
		char hex[2 * SEAL_KEY_BYTES + 1];
		util_hex_encode(hex, keys[i].key, SEAL_KEY_BYTES);
		clear += has(dump, dlen, keys[i].key, SEAL_KEY_BYTES) ||
			 has(dump, dlen, (const uint8_t *)hex, 2 * SEAL_KEY_BYTES);
	}
	for (line = strtok_r(blobs, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		uint8_t b[512], out[512];
		size_t n = strlen(line) / 2;
		if (n == 0 || n > sizeof b || util_hex_decode(b, n, line, 2 * n) != 0)
			continue;
		nb++;
		for (size_t i = 0; i < nk; i++) {
			uint8_t pk[32];
			seal_epochkey ek;
			/* A KEK-wrapped epoch key, at any offset, under any
			 * number and time the files know. */
			for (size_t off = 0; off + SEAL_WRAPPED_BYTES <= n; off++)
				for (size_t j = 0; j < nk; j++)
					if (seal_epochkey_unwrap(k, keys[j].number, keys[j].created,
								 b + off, &ek) == 0) {
						opened++;
						seal_epochkey_wipe(&ek);
					}
			/* A sealed box to the key as an X25519 secret key. */
			crypto_scalarmult_base(pk, keys[i].key);
			if (n >= crypto_box_SEALBYTES &&
			    crypto_box_seal_open(out, b, n >= BOX_BYTES ? BOX_BYTES : n, pk,
						 keys[i].key) == 0)
				opened++;
			/* An AEAD box under the key, nonce first, no AD. */
			if (n > 24 + 16 &&
			    crypto_aead_xchacha20poly1305_ietf_decrypt(
				out, NULL, NULL, b + 24, n - 24, NULL, 0, b, keys[i].key) == 0)
				opened++;
		}
	}
	printf("keys %zu blobs %zu opened %zu clear %zu\n", nk, nb, opened, clear);
	sodium_memzero(keys, sizeof keys);
	free(dump);
	free(blobs);
	seal_kek_free(k);
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 2;
	if (argc == 7 && strcmp(argv[1], "request") == 0)
		return do_request(argv);
	if (argc == 8 && strcmp(argv[1], "open") == 0)
		return do_open(argv);
	if (argc == 5 && strcmp(argv[1], "forge") == 0)
		return do_forge(argv);
	if (argc >= 6 && strcmp(argv[1], "scan") == 0)
		return do_scan(argc, argv);
	fprintf(stderr, "usage: epoch_probe request|open|forge|scan ...\n");
	return 2;
}
