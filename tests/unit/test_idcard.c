/*
 * test_idcard: the GB 11643-1999 rule (service/idcard.h).
 *
 * Valid numbers are built here from made-up digits with idcard_check_char,
 * checked against the standard's own worked example, and then broken one
 * rule at a time: length, letters, check character, region, and dates
 * (leap years, impossible months and days, before 1900, after today).
 * The numbers are invented; they are compared, never printed.
 */
#include <string.h>

#include "common/util.h"
#include "service/idcard.h"
#include "tests/lib/tap.h"

#define TODAY 20250615u

/* A whole number from 6 region digits, an 8-digit date and a 3-digit
 * sequence, with its check character. */
static void make(char out[IDCARD_LEN + 1], const char *region, const char *date, const char *seq)
{
	memcpy(out, region, 6);
	memcpy(out + 6, date, 8);
	memcpy(out + 14, seq, 3);
	out[17] = idcard_check_char(out);
	out[18] = '\0';
}

static int norm(char out[IDCARD_LEN + 1], const char *s)
{
	return idcard_normalise(out, s, strlen(s), TODAY);
}

/* Valid with a date, invalid otherwise: the date is the only rule broken. */
static int date_ok(const char *date)
{
	char id[IDCARD_LEN + 1], out[IDCARD_LEN + 1];

	make(id, "340104", date, "123");
	return norm(out, id) == 0;
}

int main(void)
{
	char id[IDCARD_LEN + 1], out[IDCARD_LEN + 1], bad[IDCARD_LEN + 2];
	int rejected;

	/* The standard's example number ends in X. */
	ok(idcard_check_char("11010519491231002") == 'X', "GB 11643's worked example: check X");
	ok(idcard_check_char("44052418800101001") == '4', "a second known number: check 4");

	make(id, "340104", "19900101", "123");
	is_int(norm(out, id), 0, "a made-up number with its check character is valid");
	ok(strcmp(out, id) == 0, "and normalises to itself");

	/* Lowercase x: find a sequence whose check character is X. */
	{
		char seq[4] = "000";
		int found = 0;
		for (unsigned n = 0; n < 1000 && !found; n++) {
			seq[0] = (char)('0' + n / 100);
			seq[1] = (char)('0' + n / 10 % 10);
			seq[2] = (char)('0' + n % 10);
			make(id, "340104", "19900101", seq);
			found = id[17] == 'X';
		}
		ok(found, "some sequence gives check character X");
		is_int(norm(out, id), 0, "uppercase X accepted");
		id[17] = 'x';
		is_int(norm(out, id), 0, "lowercase x accepted");
		ok(out[17] == 'X' && memcmp(out, id, 17) == 0 && out[18] == '\0',
		   "and normalised to uppercase X");
	}

	/* Length. */
	make(id, "340104", "19900101", "123");
	is_int(idcard_normalise(out, id, 17, TODAY), AK_EINVAL, "17 characters: refused");
	memcpy(bad, id, 18);
	bad[18] = '1';
	bad[19] = '\0';
	is_int(idcard_normalise(out, bad, 19, TODAY), AK_EINVAL, "19 characters: refused");
	is_int(idcard_normalise(out, "", 0, TODAY), AK_EINVAL, "empty: refused");
	is_int(idcard_normalise(out, NULL, 18, TODAY), AK_EINVAL, "NULL: refused");

	/* Letters and other bytes among the first 17. */
	rejected = 0;
	for (int i = 0; i < 17; i++) {
		static const char junk[] = {'A', 'x', 'X', ' ', '-', '\0', '/', ':'};
		for (size_t j = 0; j < sizeof junk; j++) {
			memcpy(bad, id, 19);
			bad[i] = junk[j];
			rejected += idcard_normalise(out, bad, 18, TODAY) == AK_EINVAL;
		}
	}
	is_int(rejected, 17 * 8,
	       "a letter, X, space, dash, NUL or punctuation in any of the "
	       "first 17 places: refused");
	memcpy(bad, id, 19);
	bad[17] = 'Y';
	is_int(norm(out, bad), AK_EINVAL, "a letter other than X as check character: refused");

	/* Wrong check character: every other one. */
	rejected = 0;
	for (const char *c = "0123456789X"; *c; c++) {
		if (*c == id[17])
			continue;
		memcpy(bad, id, 19);
		bad[17] = *c;
		rejected += norm(out, bad) == AK_EINVAL;
	}
	is_int(rejected, 10, "each of the 10 wrong check characters: refused");
	/* One digit changed, check character kept: caught by the checksum. */
	memcpy(bad, id, 19);
	bad[16] = bad[16] == '9' ? '0' : (char)(bad[16] + 1);
	is_int(norm(out, bad), AK_EINVAL, "a changed digit with the old check character: refused");

	/* Nothing written on failure. */
	memset(out, 'Q', sizeof out);
	norm(out, bad);
	rejected = 1;
	for (size_t i = 0; i < sizeof out; i++)
		rejected &= out[i] == 'Q';
	ok(rejected, "a refused number leaves out untouched");

	/* Region. */
	make(id, "040104", "19900101", "123");
	is_int(norm(out, id), AK_EINVAL, "a region starting with 0: refused");
	make(id, "940104", "19900101", "123");
	is_int(norm(out, id), 0, "a region starting with 9: accepted");

	/* Dates. */
	ok(date_ok("20000229"), "29 February 2000 (divisible by 400): valid");
	ok(date_ok("20240229"), "29 February 2024: valid");
	ok(!date_ok("20230229"), "29 February 2023: refused");
	ok(!date_ok("19000229"), "29 February 1900 (divisible by 100, not 400): refused");
	make(id, "340104", "21000229", "123");
	is_int(idcard_normalise(out, id, 18, 21001231u), AK_EINVAL,
	       "29 February 2100, seen from 2100: refused (not a leap year)");
	ok(!date_ok("19901301"), "month 13: refused");
	ok(!date_ok("19900001"), "month 00: refused");
	ok(!date_ok("19900100"), "day 00: refused");
	ok(!date_ok("19900132"), "32 January: refused");
	ok(!date_ok("19900431"), "31 April: refused");
	ok(date_ok("19901231"), "31 December: valid");
	ok(date_ok("19000101"), "1 January 1900: valid");
	ok(!date_ok("18991231"), "31 December 1899: refused");
	ok(date_ok("20250615"), "born today: valid");
	ok(!date_ok("20250616"), "born tomorrow: refused");
	ok(!date_ok("20260101"), "born next year: refused");
	make(id, "340104", "20250616", "123");
	is_int(idcard_normalise(out, id, 18, 20250616u), 0,
	       "the same date once it is today: valid");

	/* Under 14 (household members): by the date of birth, on today. */
	make(id, "340104", "20110616", "001");
	is_int(idcard_under_age(id, TODAY, 14), 1, "born 2011-06-16: under 14 on 2025-06-15");
	make(id, "340104", "20110615", "001");
	is_int(idcard_under_age(id, TODAY, 14), 0, "born 2011-06-15: 14 on their birthday");
	make(id, "340104", "19900101", "001");
	is_int(idcard_under_age(id, TODAY, 14), 0, "born 1990: an adult");
	make(id, "340104", "20120229", "001");
	is_int(idcard_under_age(id, 20260228u, 14), 1,
	       "born 29 February 2012: under 14 on 2026-02-28");
	is_int(idcard_under_age(id, 20260301u, 14), 0, "and 14 on 2026-03-01");
	is_int(idcard_under_age(id, 0, 14), 0, "an unread clock (0): never a child (fails closed)");
	return tap_done();
}
