/*
 * test_paper: the paper code card's contract (service/paper.h): a card is
 * one PDF, of the A6 size, whatever the status and however long the name;
 * a status out of range, a missing name or text qr_encode refuses gives
 * AK_EINVAL and no buffer. What the card looks like and that it scans is
 * tests/sh/paper_code.sh's (pdftoppm, zbarimg, pdftotext).
 */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "service/paper.h"
#include "tests/lib/tap.h"

#define TEXT "AK1:6BFOXN*TS0BI$ZD.P9UOL97O4-2HH77HRM3DSPTVCSIMGLH5QVF"

/* The PDF's MediaBox says the page size in points; A6 is 297.638 x
 * 419.528. */
static int a6(const uint8_t *pdf, size_t len)
{
	const char *want = "/MediaBox [ 0 0 297.637795 419.527559 ]";
	return memmem(pdf, len, want, strlen(want)) != NULL;
}

static void card(int status, const char *name, const char *what)
{
	struct paper_card c = {TEXT, strlen(TEXT), status, name, 1796613765};
	uint8_t *pdf = NULL;
	size_t len = 0;

	is_int(paper_card_pdf(&c, &pdf, &len), 0, "%s: drawn", what);
	ok(pdf != NULL && len > 1000 && memcmp(pdf, "%PDF-", 5) == 0, "%s: a PDF", what);
	ok(pdf != NULL && a6(pdf, len), "%s: one A6 page", what);
	ok(pdf != NULL && memmem(pdf, len, "/Count 1", 8) != NULL, "%s: one page", what);
	free(pdf);
}

static void refused(const struct paper_card *c, const char *what)
{
	uint8_t *pdf = (uint8_t *)"x";
	size_t len = 7;

	is_int(paper_card_pdf(c, &pdf, &len), AK_EINVAL, "%s: AK_EINVAL", what);
	ok(pdf == NULL && len == 0, "%s: no buffer", what);
}

int main(void)
{
	char longname[CRED_NAME_MAX + 1];

	card(CRED_GREEN, "\xe6\xb5\x8b\xe8\xaf\x95\xe7\x94\xb2", "green, a Chinese name");
	card(CRED_YELLOW, "Test Person", "yellow, a Latin name");
	card(CRED_RED, "", "red, an empty name");
	memset(longname, 'W', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	card(CRED_GREEN, longname, "the longest name, one unbroken word");

	struct paper_card c = {TEXT, strlen(TEXT), CRED_GREEN, "Test", 1796613765};
	c.status = -1;
	refused(&c, "status -1");
	c.status = CRED_RED + 1;
	refused(&c, "status past red");
	c.status = CRED_GREEN;
	c.name = NULL;
	refused(&c, "no name");
	c.name = "Test";
	c.text = "ak1:lowercase";
	c.text_len = strlen(c.text);
	refused(&c, "text outside the QR alphanumeric set");
	c.text_len = 0;
	refused(&c, "empty text");

	return tap_done();
}
