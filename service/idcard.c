/*
 * idcard: GB 11643-1999 citizen identity numbers (rule in idcard.h).
 *
 * The check runs on the caller's bytes in place and writes the canonical
 * form only once every rule has passed, so a rejected number leaves no
 * copy behind in out. Nothing here prints, logs or keeps a number.
 */
#include "service/idcard.h"

#include <string.h>
#include <time.h>

#include "common/util.h"

static const unsigned char weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char check_chars[] = "10X98765432";

/* The earliest date of birth accepted (older numbers are not in use). */
#define IDCARD_MIN_BIRTH 19000101u

char idcard_check_char(const char digits17[17])
{
	unsigned sum = 0;

	for (size_t i = 0; i < 17; i++)
		sum += (unsigned)(digits17[i] - '0') * weights[i];
	return check_chars[sum % 11];
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* d[0..8) is all digits: a real calendar date from IDCARD_MIN_BIRTH to today. */
static int birth_date_ok(const char *d, uint32_t today)
{
	static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y = 0, m, day, dim;
	uint32_t ymd = 0;

	for (size_t i = 0; i < 8; i++)
		ymd = ymd * 10 + (uint32_t)(d[i] - '0');
	y = ymd / 10000;
	m = ymd / 100 % 100;
	day = ymd % 100;
	if (m < 1 || m > 12 || day < 1)
		return 0;
	dim = mdays[m - 1] + (m == 2 && leap(y));
	if (day > dim)
		return 0;
	return ymd >= IDCARD_MIN_BIRTH && ymd <= today;
}

int idcard_normalise(char out[IDCARD_LEN + 1], const char *s, size_t len, uint32_t today)
{
	char check;

	if (s == NULL || len != IDCARD_LEN)
		return AK_EINVAL;
	for (size_t i = 0; i < 17; i++)
		if (!is_digit(s[i]))
			return AK_EINVAL;
	/* Region codes start 1-9 (GB/T 2260 has no 0xxxxx region). */
	if (s[0] == '0')
		return AK_EINVAL;
	if (!birth_date_ok(s + 6, today))
		return AK_EINVAL;
	check = s[17] == 'x' ? 'X' : s[17];
	if (check != idcard_check_char(s))
		return AK_EINVAL;
	memcpy(out, s, 17);
	out[17] = check;
	out[IDCARD_LEN] = '\0';
	return 0;
}

uint32_t idcard_today(void)
{
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (uint32_t)(tm.tm_year + 1900) * 10000u + (uint32_t)(tm.tm_mon + 1) * 100u +
	       (uint32_t)tm.tm_mday;
}

int idcard_under_age(const char id[IDCARD_LEN], uint32_t today, unsigned years)
{
	uint32_t birth = 0;

	for (int i = 6; i < 14; i++) {
		if (!is_digit(id[i]))
			return 0;
		birth = birth * 10 + (uint32_t)(id[i] - '0');
	}
	/* As YYYYMMDD numbers, the years-th birthday is birth + years *
	 * 10000; someone born on 29 February reaches it on 1 March of a
	 * common year. */
	if (today == 0 || today < birth)
		return 0;
	return today < birth + (uint32_t)years * 10000u;
}
