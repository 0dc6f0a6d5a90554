/*
 * forwarded: which address a request comes from, for the rate limits,
 * when the service sits behind reverse proxies (nginx, a load balancer).
 *
 * The rule: X-Forwarded-For is read only when the TCP peer is a trusted
 * proxy (a --trusted-proxy range). Then the header's addresses are
 * walked from the right, the end the nearest proxy wrote, and the first
 * one that is not itself a trusted proxy is the client; if every one is,
 * the left-most is. Entries to the left of the client are the client's
 * own words and never matter, so no client chooses the address it is
 * counted under, and a peer that is not trusted is counted as itself
 * whatever it sends. A header that is not a plain comma-separated list of
 * IP addresses (at most FORWARDED_MAX_HOPS), from a trusted peer, counts
 * the request under the peer's own address.
 *
 * Addresses come out in inet_ntop's spelling, IPv4-mapped IPv6 as IPv4,
 * so one address has one key however it was written.
 */
#ifndef ANKANG_FORWARDED_H
#define ANKANG_FORWARDED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define FORWARDED_MAX_HOPS 32
/* Room for any address the rule gives out (INET6_ADDRSTRLEN). */
#define FORWARDED_ADDR_MAX 46

/* An address range: 16 bytes (IPv4 in its mapped form), prefix in bits
 * of those 16 bytes. */
struct forwarded_net {
	uint8_t addr[16];
	unsigned bits;
};

/* "10.0.0.0/8", "2001:db8::/32", or a lone address (a /32 or /128).
 * 0, or -1 for anything else (host bits set are allowed and ignored). */
int forwarded_net_parse(const char *s, struct forwarded_net *out);

/*
 * The client address of a request from peer (NULL: unknown, "?") that
 * carried xff (the X-Forwarded-For values joined by ',' in the order
 * received, or NULL), given the n trusted ranges, into out (cap at least
 * FORWARDED_ADDR_MAX).
 */
void forwarded_client(const struct sockaddr *peer, const char *xff,
		      const struct forwarded_net *trusted, size_t n, char *out, size_t cap);

#endif
