/*
 * forwarded: the client address behind trusted proxies (rule in
 * forwarded.h). Every address is held as 16 bytes, IPv4 in its mapped
 * form (::ffff:a.b.c.d), so one comparison serves both families and a
 * mapped peer on a dual-stack socket matches an IPv4 range.
 */
#include "service/http/forwarded.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* A numeric address, strictly (no port, brackets or zone), as 16 bytes. */
static int parse_addr(const char *s, size_t n, uint8_t out[16])
{
	char text[FORWARDED_ADDR_MAX];
	struct in_addr v4;

	if (n == 0 || n >= sizeof text)
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, &v4) == 1) {
		memcpy(out, v4_mapped, sizeof v4_mapped);
		memcpy(out + 12, &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

int forwarded_net_parse(const char *s, struct forwarded_net *out)
{
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	int v4 = memchr(s, ':', n) == NULL;
	unsigned max = v4 ? 32 : 128;
	uint64_t bits = max;

	if (parse_addr(s, n, out->addr) != 0)
		return -1;
	if (slash != NULL &&
	    (util_parse_u64(slash + 1, strlen(slash + 1), &bits) != 0 || bits > max))
		return -1;
	out->bits = (unsigned)bits + (v4 ? 96 : 0);
	return 0;
}

static int in_net(const uint8_t a[16], const struct forwarded_net *net)
{
	unsigned whole = net->bits / 8, rest = net->bits % 8;

	if (memcmp(a, net->addr, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[whole] ^ net->addr[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static int trusted_addr(const uint8_t a[16], const struct forwarded_net *trusted, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (in_net(a, &trusted[i]))
			return 1;
	return 0;
}

static void format_addr(const uint8_t a[16], char *out, size_t cap)
{
	if (memcmp(a, v4_mapped, sizeof v4_mapped) == 0)
		inet_ntop(AF_INET, a + 12, out, (socklen_t)cap);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)cap);
}

static int peer_addr(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		memcpy(out, v4_mapped, sizeof v4_mapped);
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The header's addresses, left to right, into hops; how many, or -1 when
 * it is not a list of addresses. */
static int parse_list(const char *xff, uint8_t hops[][16], size_t max)
{
	size_t n = 0;
	const char *p = xff;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		while (len > 0 && blank(*p))
			p++, len--;
		while (len > 0 && blank(p[len - 1]))
			len--;
		if (n == max || parse_addr(p, len, hops[n]) != 0)
			return -1;
		n++;
		if (end == NULL)
			return (int)n;
		p = end + 1;
	}
}

void forwarded_client(const struct sockaddr *peer, const char *xff,
		      const struct forwarded_net *trusted, size_t n, char *out, size_t cap)
{
	uint8_t p[16], hops[FORWARDED_MAX_HOPS][16];
	int k;

	if (peer_addr(peer, p) != 0) {
		snprintf(out, cap, "?");
		return;
	}
	if (xff == NULL || n == 0 || !trusted_addr(p, trusted, n) ||
	    (k = parse_list(xff, hops, FORWARDED_MAX_HOPS)) <= 0) {
		format_addr(p, out, cap);
		return;
	}
	while (k > 1 && trusted_addr(hops[k - 1], trusted, n))
		k--;
	format_addr(hops[k - 1], out, cap);
}
