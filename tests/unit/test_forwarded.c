/*
 * test_forwarded: the client address behind trusted proxies
 * (service/http/forwarded.h): ranges parsed strictly, X-Forwarded-For read
 * only from a trusted peer, the right-most untrusted hop taken, and a
 * malformed header counted as the peer. Addresses are documentation
 * ranges (RFC 5737, RFC 3849).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "service/http/forwarded.h"
#include "tests/lib/tap.h"

static struct forwarded_net nets[4];
static size_t n_nets;

static void trust(const char *cidr)
{
	if (forwarded_net_parse(cidr, &nets[n_nets]) != 0)
		bail_out("a range of the test does not parse");
	n_nets++;
}

/* The client of a request from peer (v4 or v6 text) with xff. */
static const char *client(const char *peer, const char *xff)
{
	static char out[FORWARDED_ADDR_MAX];
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
	const struct sockaddr *sa;

	memset(&v4, 0, sizeof v4);
	memset(&v6, 0, sizeof v6);
	if (inet_pton(AF_INET, peer, &v4.sin_addr) == 1) {
		v4.sin_family = AF_INET;
		sa = (const struct sockaddr *)&v4;
	} else {
		inet_pton(AF_INET6, peer, &v6.sin6_addr);
		v6.sin6_family = AF_INET6;
		sa = (const struct sockaddr *)&v6;
	}
	forwarded_client(sa, xff, nets, n_nets, out, sizeof out);
	return out;
}

int main(void)
{
	static const char *const bad[] = {"",        "10.0.0.0/33", "10.0.0.0/",   "10.0.0/8",
					  "::1/129", "foo",         "10.0.0.0/8x", "1.2.3.4:80",
					  "[::1]",   "10.0.0.0/-1", "::1/ 64",     "10.0.0.0//8"};
	struct forwarded_net net;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(forwarded_net_parse(bad[i], &net) != 0, "range %zu of the bad ones is refused",
		   i);
	ok(forwarded_net_parse("2001:db8::/32", &net) == 0 && net.bits == 32, "an IPv6 range");
	ok(forwarded_net_parse("192.0.2.7", &net) == 0 && net.bits == 128, "a lone IPv4 address");

	/* No trusted proxy: the header means nothing. */
	is_str(client("192.0.2.1", "198.51.100.9"), "192.0.2.1", "no trusted proxy: the peer");

	trust("192.0.2.0/28");
	trust("2001:db8:1::/48");
	is_str(client("203.0.113.5", "198.51.100.9"), "203.0.113.5",
	       "an untrusted peer's header is ignored");
	is_str(client("192.0.2.1", NULL), "192.0.2.1", "a trusted peer without a header: the peer");
	is_str(client("192.0.2.1", "198.51.100.9"), "198.51.100.9",
	       "a trusted peer: the forwarded address");
	is_str(client("192.0.2.1", "6.6.6.6, 198.51.100.9"), "198.51.100.9",
	       "the right-most address, not what the client prepended");
	is_str(client("192.0.2.1", "6.6.6.6,198.51.100.9, 192.0.2.3"), "198.51.100.9",
	       "trusted hops on the right are skipped");
	is_str(client("192.0.2.1", "192.0.2.4, 192.0.2.3"), "192.0.2.4",
	       "every hop trusted: the left-most");
	is_str(client("192.0.2.1", "2001:DB8:0:0::7"), "2001:db8::7", "IPv6, in one spelling");
	is_str(client("192.0.2.1", "::ffff:198.51.100.9"), "198.51.100.9",
	       "IPv4-mapped IPv6 comes out as IPv4");
	is_str(client("::ffff:192.0.2.1", "198.51.100.9"), "198.51.100.9",
	       "a mapped peer matches an IPv4 range");
	is_str(client("2001:db8:1::5", "198.51.100.9"), "198.51.100.9", "an IPv6 proxy");
	is_str(client("2001:db8:2::5", "198.51.100.9"), "2001:db8:2::5",
	       "outside the IPv6 range: the peer");
	is_str(client("192.0.2.16", "198.51.100.9"), "192.0.2.16",
	       "just outside the IPv4 range: the peer");

	/* Malformed, from a trusted peer: the peer. */
	static const char *const junk[] = {
	    "",
	    "unknown",
	    "198.51.100.9,",
	    ",198.51.100.9",
	    "198.51.100.9:4711",
	    "[2001:db8::7]",
	    "198.51.100.9;proto=https",
	    "198.51.100.9, , 198.51.100.8",
	    "1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,"
	    "1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,"
	    "1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,"
	    "1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,"
	    "1.1.1.1"};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
		is_str(client("192.0.2.1", junk[i]), "192.0.2.1",
		       "malformed header %zu: the trusted peer itself", i);
	return tap_done();
}
