/*
 * timeparse: TIME and HOURS arguments, and local times for output (see
 * timeparse.h for the accepted forms).
 *
 * UTC and offset times are converted with the days-from-civil formula, so
 * they do not depend on the C library's time zone handling at all; only a
 * zone-less time goes through mktime. Parsing is by position: every form
 * has fixed-width fields, so a length decides which form is meant and
 * nothing is read past it.
 */
#include "audit/timeparse.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/util.h"

/* 9999-12-31T23:59:59Z */
#define MAX_UNIX_SECONDS 253402300799ULL

/* Reads exactly n decimal digits at s. */
static int digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(unsigned y, unsigned m)
{
	static const unsigned d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 1970). */
static int64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = yy / 400; /* yy >= 1969, so no negative rounding */
	unsigned yoe = (unsigned)(yy - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int audit_time_parse(const char *s, uint64_t *ms)
{
	size_t len = strlen(s), p;
	unsigned y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	int zone = 0; /* 0 local, 1 UTC or offset */
	int sign = 1;
	int64_t t;

	if (len == 0 || len > 32)
		return AK_EINVAL;
	if (strspn(s, "0123456789") == len) {
		uint64_t v;
		if (util_parse_u64(s, len, &v) != 0 || v > MAX_UNIX_SECONDS)
			return AK_EINVAL;
		*ms = v * 1000;
		return 0;
	}
	if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return AK_EINVAL;
	p = 10;
	if (p < len && (s[p] == 'T' || s[p] == ' ')) {
		if (len < p + 6 || digits(s + p + 1, 2, &h) || s[p + 3] != ':' ||
		    digits(s + p + 4, 2, &mi))
			return AK_EINVAL;
		p += 6;
		if (p < len && s[p] == ':') {
			if (len < p + 3 || digits(s + p + 1, 2, &sec))
				return AK_EINVAL;
			p += 3;
		}
	}
	if (p < len && s[p] == 'Z') {
		zone = 1;
		p++;
	} else if (p < len && (s[p] == '+' || s[p] == '-')) {
		sign = s[p] == '-' ? -1 : 1;
		if (len < p + 6 || digits(s + p + 1, 2, &oh) || s[p + 3] != ':' ||
		    digits(s + p + 4, 2, &om) || oh > 23 || om > 59)
			return AK_EINVAL;
		zone = 1;
		p += 6;
	}
	if (p != len)
		return AK_EINVAL;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return AK_EINVAL;

	if (zone) {
		t = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + sec;
		t -= sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
	} else {
		struct tm tm;
		time_t tt;
		memset(&tm, 0, sizeof tm);
		tm.tm_year = (int)y - 1900;
		tm.tm_mon = (int)mo - 1;
		tm.tm_mday = (int)d;
		tm.tm_hour = (int)h;
		tm.tm_min = (int)mi;
		tm.tm_sec = (int)sec;
		tm.tm_isdst = -1;
		tt = mktime(&tm);
		if (tt == (time_t)-1)
			return AK_EINVAL;
		t = (int64_t)tt;
	}
	if (t < 0 || (uint64_t)t > MAX_UNIX_SECONDS)
		return AK_EINVAL;
	*ms = (uint64_t)t * 1000;
	return 0;
}

static int local_tm(uint64_t ms, struct tm *tm)
{
	time_t t;

	if (ms / 1000 > MAX_UNIX_SECONDS)
		return -1;
	t = (time_t)(ms / 1000);
	return localtime_r(&t, tm) == NULL ? -1 : 0;
}

void audit_time_local(char out[AUDIT_TIME_TEXT], uint64_t ms)
{
	struct tm tm;

	if (local_tm(ms, &tm) != 0 ||
	    strftime(out, AUDIT_TIME_TEXT, "%Y-%m-%d %H:%M:%S", &tm) != AUDIT_TIME_TEXT - 1)
		snprintf(out, AUDIT_TIME_TEXT, "?");
}

int audit_hours_parse(const char *s, unsigned *from, unsigned *to)
{
	const char *dash = strchr(s, '-');
	size_t a, b;

	if (dash == NULL)
		return AK_EINVAL;
	a = (size_t)(dash - s);
	b = strlen(dash + 1);
	if (a < 1 || a > 2 || b < 1 || b > 2 || digits(s, a, from) || digits(dash + 1, b, to) ||
	    *from > 24 || *to > 24)
		return AK_EINVAL;
	/* 24 is midnight at the end of the day: the same hour as 0. */
	*from %= 24;
	*to %= 24;
	return 0;
}
