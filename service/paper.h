/*
 * paper: the paper code card, an A6 page (105 x 148 mm) a person carries
 * instead of a phone, laid out as a PDF with Cairo and Pango.
 *
 * The rule it keeps: a card must scan from paper and say, to a person
 * who cannot scan it, whose it is, what it says and until when. So it
 * holds the QR code (vector rectangles, one per dark module, with its
 * quiet zone, large enough for a phone camera at arm's length), the
 * person's full name, the status in words in Chinese and English
 * (绿码 Green code ...; never colour alone), the expiry date and time
 * with its UTC offset, and one line telling what to do with it.
 *
 * Fonts are embedded (subsets), so the card prints the same on any
 * printer; Chinese glyphs come from the CJK font Debian installs
 * (fonts-wqy-microhei, scripts/bootstrap), found through fontconfig.
 *
 * Never: put the name anywhere but on the page (no PDF title, subject or
 * other metadata), or print. The caller wipes the buffer it gets.
 */
#ifndef ANKANG_PAPER_H
#define ANKANG_PAPER_H

#include <stddef.h>
#include <stdint.h>

/* The page: ISO A6 portrait, in PDF points (1/72 inch). */
#define PAPER_WIDTH_MM  105.0
#define PAPER_HEIGHT_MM 148.0

struct paper_card {
	const char *text; /* the credential ("AK1:..."), as qr_encode takes it */
	size_t text_len;
	int status;       /* enum cred_status */
	const char *name; /* UTF-8, NUL-terminated: the person's full name */
	uint64_t exp;     /* unix seconds; shown in the process's local time */
};

/*
 * Lays the card out. Sets *pdf (malloc'd) and *len. Returns 0, AK_EINVAL
 * (status out of range, text qr_encode refuses), AK_ENOMEM, or AK_EIO
 * (Cairo failed).
 */
int paper_card_pdf(const struct paper_card *c, uint8_t **pdf, size_t *len);

#endif
