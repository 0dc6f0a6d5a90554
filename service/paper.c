/*
 * paper: the paper code card (see paper.h for what it holds and why).
 *
 * The layout, top to bottom, on an A6 page with 8 mm margins, inside a
 * light rounded edge 3 mm from the page's (a cut line on larger paper):
 *
 *   a title line        安康码 · 纸质码  Ankang health code (paper)
 *   the status band     the status colour, the words in white, large:
 *                       绿码 Green code (white on each status colour is
 *                       at least 5:1, qr.c)
 *   the QR code         76 mm square, quiet zone included, centred
 *   the name            large and bold, at most two lines, ellipsised
 *   the expiry          有效期至 Valid until  2026-12-14 11:16 (UTC+08:00)
 *   one instruction     what to do with the card, in both languages
 *
 * 76 mm holds a version 40 code (185 modules with the quiet zone) at
 * 0.41 mm a module, above the 0.33 mm print guides give as the least a
 * phone reads; a credential is far shorter (a version 10 to 15 code,
 * about 1 mm a module). The modules are filled rectangles on the same
 * grid, one per horizontal run of dark modules, as the SVG draws them,
 * so no printer or viewer rasterises them into blur.
 *
 * Text goes through Pango, which shapes Chinese and Latin alike and
 * falls back through fontconfig to the CJK font for glyphs the first
 * family lacks; Cairo embeds the subsets it used in the PDF.
 */
#include "service/paper.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <sodium.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "service/qr.h"

#define PT_PER_MM (72.0 / 25.4)
#define MARGIN_MM 8.0
#define QR_MM     76.0
/* The families asked for; fontconfig supplies the rest. The first two
 * are Debian's CJK packages (either one will do: wqy-microhei is the one
 * scripts/bootstrap installs). */
#define FONT_FAMILY "Noto Sans CJK SC, WenQuanYi Micro Hei, WenQuanYi Zen Hei, sans-serif"

/* Indexed by enum cred_status: the words people know, in both languages. */
static const char *const status_words[] = {
    [CRED_GREEN] = "绿码  Green code",
    [CRED_YELLOW] = "黄码  Yellow code",
    [CRED_RED] = "红码  Red code",
};

static const char title_words[] = "安康码 · 纸质码   Ankang health code (paper)";
static const char expiry_label[] = "有效期至  Valid until";
static const char instruction_words[] = "请在检查点出示本卡扫码  Show this card at checkpoints";

/* ------------------------------------------------------------- the stream */

/* The PDF as Cairo writes it, into memory. */
struct paper_buf {
	uint8_t *p;
	size_t len, cap;
};

static cairo_status_t paper_write(void *closure, const unsigned char *data, unsigned int n)
{
	struct paper_buf *b = closure;

	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2)
				return CAIRO_STATUS_WRITE_ERROR;
			cap *= 2;
		}
		uint8_t *p = realloc(b->p, cap);
		if (p == NULL)
			return CAIRO_STATUS_WRITE_ERROR;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return CAIRO_STATUS_SUCCESS;
}

/* ------------------------------------------------------------------ text */

/* The status colour (qr.c's, which the pages and images use too) as
 * Cairo's source colour. */
static void set_status_colour(cairo_t *cr, int status)
{
	uint8_t rgb[3] = {0, 0, 0};

	(void)qr_status_rgb(status, rgb); /* the status was checked: black never shows */
	cairo_set_source_rgb(cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
}

/*
 * Draws text centred in the column [x, x + width) with its top at y, in
 * the given size (points) and weight, at most max_lines lines (the last
 * ellipsised). Returns the height it took, in points.
 */
static double text_block(cairo_t *cr, const char *text, double x, double y, double width,
			 double size, PangoWeight weight, int max_lines)
{
	PangoLayout *layout = pango_cairo_create_layout(cr);
	PangoFontDescription *font = pango_font_description_from_string(FONT_FAMILY);
	int w, h;

	pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
	pango_font_description_set_weight(font, weight);
	pango_layout_set_font_description(layout, font);
	pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
	if (max_lines > 0) {
		pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
		pango_layout_set_height(layout, -max_lines);
	}
	pango_layout_set_text(layout, text, -1);
	pango_layout_get_size(layout, &w, &h);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, layout);
	pango_font_description_free(font);
	g_object_unref(layout);
	return (double)h / PANGO_SCALE;
}

/* "2026-12-14 11:16 (UTC+08:00)" in the process's local time (TZ). */
static int expiry_text(char *out, size_t cap, uint64_t exp)
{
	time_t t = (time_t)exp;
	struct tm tm;
	long off;
	int n;

	if (exp > (uint64_t)INT64_MAX || localtime_r(&t, &tm) == NULL)
		return AK_EINVAL;
	off = tm.tm_gmtoff / 60;
	n = snprintf(out, cap, "%04d-%02d-%02d %02d:%02d (UTC%c%02ld:%02ld)", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, off < 0 ? '-' : '+',
		     labs(off) / 60, labs(off) % 60);
	return n > 0 && (size_t)n < cap ? 0 : AK_EINVAL;
}

/* -------------------------------------------------------------- the code */

/* The code at (x, y), side points square with the quiet zone: white,
 * then its dark modules in colour. */
static void draw_qr(cairo_t *cr, const qr *q, int status, double x, double y, double side)
{
	int n = qr_size(q);
	double m = side / (n + 2 * QR_QUIET);

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, x, y, side, side);
	cairo_fill(cr);
	set_status_colour(cr, status);
	x += QR_QUIET * m;
	y += QR_QUIET * m;
	for (int row = 0; row < n; row++) {
		int col = 0;
		while (col < n) {
			if (!qr_module(q, col, row)) {
				col++;
				continue;
			}
			int start = col;
			while (col < n && qr_module(q, col, row))
				col++;
			cairo_rectangle(cr, x + start * m, y + row * m, (col - start) * m, m);
		}
	}
	cairo_fill(cr);
}

/* -------------------------------------------------------------- the card */

static void draw_card(cairo_t *cr, const struct paper_card *c, const qr *q, const char *expiry)
{
	double w = PAPER_WIDTH_MM * PT_PER_MM, margin = MARGIN_MM * PT_PER_MM;
	double col = w - 2 * margin, side = QR_MM * PT_PER_MM;
	double y = margin, band;

	/* The card's edge, a light rounded line 3 mm inside the page: where
	 * to cut when the page is printed on larger paper. */
	double e = 3 * PT_PER_MM, r = 3 * PT_PER_MM, h = PAPER_HEIGHT_MM * PT_PER_MM;
	cairo_new_sub_path(cr);
	cairo_arc(cr, w - e - r, e + r, r, -M_PI / 2, 0);
	cairo_arc(cr, w - e - r, h - e - r, r, 0, M_PI / 2);
	cairo_arc(cr, e + r, h - e - r, r, M_PI / 2, M_PI);
	cairo_arc(cr, e + r, e + r, r, M_PI, 3 * M_PI / 2);
	cairo_close_path(cr);
	cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
	cairo_set_line_width(cr, 0.75);
	cairo_stroke(cr);

	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	y += text_block(cr, title_words, margin, y, col, 8.5, PANGO_WEIGHT_NORMAL, 1) + 6;

	/* The status band: the colour says it at a glance, the words say it
	 * to everyone (and to a grey printer). */
	band = 14 * PT_PER_MM;
	set_status_colour(cr, c->status);
	cairo_rectangle(cr, margin, y, col, band);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	text_block(cr, status_words[c->status], margin, y + band / 2 - 11, col, 18,
		   PANGO_WEIGHT_BOLD, 1);
	y += band + 5;

	draw_qr(cr, q, c->status, (w - side) / 2, y, side);
	y += side + 4;

	cairo_set_source_rgb(cr, 0, 0, 0);
	y += text_block(cr, c->name, margin, y, col, 16, PANGO_WEIGHT_BOLD, 2) + 6;

	cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
	y += text_block(cr, expiry_label, margin, y, col, 8.5, PANGO_WEIGHT_NORMAL, 1) + 1;
	cairo_set_source_rgb(cr, 0, 0, 0);
	y += text_block(cr, expiry, margin, y, col, 12, PANGO_WEIGHT_BOLD, 1) + 8;

	/* A rule above the instruction, so it reads as a footnote. */
	cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
	cairo_set_line_width(cr, 0.5);
	cairo_move_to(cr, margin, y - 4);
	cairo_line_to(cr, w - margin, y - 4);
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	text_block(cr, instruction_words, margin, y, col, 7.5, PANGO_WEIGHT_NORMAL, 2);
}

int paper_card_pdf(const struct paper_card *c, uint8_t **pdf, size_t *len)
{
	struct paper_buf b = {0};
	cairo_surface_t *surface = NULL;
	cairo_t *cr = NULL;
	qr *q = NULL;
	char expiry[64];
	int rc;

	*pdf = NULL;
	*len = 0;
	if (c->status < 0 || (size_t)c->status >= AK_ARRAY_LEN(status_words) ||
	    status_words[c->status] == NULL || c->name == NULL)
		return AK_EINVAL;
	if ((rc = expiry_text(expiry, sizeof expiry, c->exp)) != 0 ||
	    (rc = qr_encode(&q, c->text, c->text_len, QR_ECC_DEFAULT)) != 0)
		return rc;

	surface = cairo_pdf_surface_create_for_stream(paper_write, &b, PAPER_WIDTH_MM * PT_PER_MM,
						      PAPER_HEIGHT_MM * PT_PER_MM);
	/* The title names the kind of card, never its holder. */
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
				       "安康码 Ankang paper code");
	cr = cairo_create(surface);
	draw_card(cr, c, q, expiry);
	cairo_show_page(cr);
	rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : AK_EIO;
	cairo_destroy(cr);
	cairo_surface_finish(surface);
	if (rc == 0 && cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
		rc = AK_EIO;
	cairo_surface_destroy(surface);
	qr_free(q);
	if (rc != 0) {
		if (b.p != NULL)
			sodium_memzero(b.p, b.len);
		free(b.p);
		return rc;
	}
	*pdf = b.p;
	*len = b.len;
	return 0;
}
