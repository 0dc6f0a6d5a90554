/*
 * qr: credential text -> QR module matrix (libqrencode) -> PNG, SVG or
 * terminal text. See qr.h for each contract.
 *
 * The matrix is copied out of libqrencode's QRcode into one byte per
 * module (1 dark), so nothing else depends on libqrencode's layout and the
 * renderers can read outside the matrix (the quiet zone) through
 * qr_module, which answers "light" there.
 *
 * The colours were chosen for two readers at once. A person must see
 * green, yellow and red as the health-code colours; a scanner sees only
 * luminance, and bright yellow on white (#ffc600 is 1.6:1) all but
 * vanishes in grey. So each colour is dark: green 5.0:1 and red 5.6:1
 * against white (WCAG relative luminance), and yellow a dark gold at
 * 5.0:1: the pages write the status in words in the same colour, and
 * WCAG 2.1 AA asks 4.5:1 of text (the earlier #a67c00, 3.8:1, passed
 * only the 3:1 for graphics). Darker reads better to zbar too: in a
 * simulated camera (blur, uneven light, noise) a lighter gold (#b58900,
 * 3.2:1) lost a third of the green's noise margin and #ffc600 two thirds. tests/unit/test_qr.c and
 * tests/sh/qr_zbarimg.sh prove every colour scans back with zbar.
 *
 * PNG output is a 1-bit palette image written through png_set_write_fn
 * into memory. libpng reports errors by longjmp: everything that must be
 * freed lives in a struct owned by the caller of the function that calls
 * setjmp, so no local variable is relied on after a longjmp.
 */
#include "service/qr.h"

#include <assert.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "common/util.h"

struct qr {
	int size;        /* modules per side */
	int version;     /* 1..40 */
	uint8_t *module; /* size*size bytes, row-major, 1 = dark */
};

/* ---------------------------------------------------------------- colours */

struct qr_colour {
	const char *word; /* as cred_status_word says it */
	const char *hex;
	uint8_t r, g, b;
};

/* Indexed by enum cred_status. */
static const struct qr_colour qr_colours[] = {
    [CRED_GREEN] = {"green", "#12803c", 0x12, 0x80, 0x3c},   /* 5.0:1 on white */
    [CRED_YELLOW] = {"yellow", "#8c6a00", 0x8c, 0x6a, 0x00}, /* 5.0:1, a dark gold */
    [CRED_RED] = {"red", "#c62828", 0xc6, 0x28, 0x28},       /* 5.6:1 */
};

static const struct qr_colour *qr_colour(int status)
{
	if (status < 0 || (size_t)status >= AK_ARRAY_LEN(qr_colours))
		return NULL;
	return &qr_colours[status];
}

const char *qr_status_colour(int status)
{
	const struct qr_colour *c = qr_colour(status);
	return c ? c->hex : NULL;
}

int qr_status_rgb(int status, uint8_t rgb[3])
{
	const struct qr_colour *c = qr_colour(status);

	if (c == NULL)
		return AK_EINVAL;
	rgb[0] = c->r;
	rgb[1] = c->g;
	rgb[2] = c->b;
	return 0;
}

/* ---------------------------------------------------------------- encoding */

/* QR alphanumeric mode's 45 characters (ISO/IEC 18004 table 5), which are
 * also base45's alphabet. */
static int qr_is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == ' ' || c == '$' ||
	       c == '%' || c == '*' || c == '+' || c == '-' || c == '.' || c == '/' || c == ':';
}

int qr_encode(qr **out, const char *text, size_t len, enum qr_ecc ecc)
{
	QRinput *in = NULL;
	QRcode *code = NULL;
	qr *q = NULL;
	QRecLevel level;
	int err;

	*out = NULL;
	switch (ecc) {
	case QR_ECC_L:
		level = QR_ECLEVEL_L;
		break;
	case QR_ECC_M:
		level = QR_ECLEVEL_M;
		break;
	case QR_ECC_DEFAULT:
	case QR_ECC_Q:
		level = QR_ECLEVEL_Q;
		break;
	case QR_ECC_H:
		level = QR_ECLEVEL_H;
		break;
	default:
		return AK_EINVAL;
	}
	if (len == 0)
		return AK_EINVAL;
	if (len > QR_TEXT_MAX)
		return AK_ETOOBIG;
	for (size_t i = 0; i < len; i++)
		if (!qr_is_alnum((unsigned char)text[i]))
			return AK_EINVAL;

	/* Version 0 asks libqrencode for the smallest version that fits. */
	if ((in = QRinput_new2(0, level)) == NULL) {
		err = AK_ENOMEM;
		goto fail;
	}
	if (QRinput_append(in, QR_MODE_AN, (int)len, (const unsigned char *)text) != 0) {
		/* The text was checked above, so only allocation can fail. */
		err = AK_ENOMEM;
		goto fail;
	}
	if ((code = QRcode_encodeInput(in)) == NULL) {
		/* ERANGE would mean the text does not fit version 40; at
		 * QR_TEXT_MAX alphanumeric characters it always fits. */
		err = AK_ENOMEM;
		goto fail;
	}
	assert(code->width >= 21 && code->width <= 177);
	if ((q = calloc(1, sizeof *q)) == NULL ||
	    (q->module = malloc((size_t)code->width * (size_t)code->width)) == NULL) {
		err = AK_ENOMEM;
		goto fail;
	}
	q->size = code->width;
	q->version = code->version;
	for (size_t i = 0; i < (size_t)code->width * (size_t)code->width; i++)
		q->module[i] = code->data[i] & 1;
	QRcode_free(code);
	QRinput_free(in);
	*out = q;
	return 0;

fail:
	qr_free(q);
	if (code)
		QRcode_free(code);
	if (in)
		QRinput_free(in);
	return err;
}

void qr_free(qr *q)
{
	if (q == NULL)
		return;
	free(q->module);
	free(q);
}

int qr_size(const qr *q)
{
	return q->size;
}

int qr_version(const qr *q)
{
	return q->version;
}

int qr_module(const qr *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->size || y >= q->size)
		return 0;
	return q->module[(size_t)y * (size_t)q->size + (size_t)x];
}

/* ---------------------------------------------------------------- text buffer */

/* A growing NUL-terminated string; err sticks at the first failure so
 * callers check once at the end. */
struct qr_sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sbuf_add(struct qr_sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->cap - b->len <= n) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap - b->len <= n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->err = AK_ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sbuf_str(struct qr_sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sbuf_fmt(struct qr_sbuf *b, const char *fmt, ...)
{
	char tmp[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	/* Every format here is a few numbers and fixed words. */
	assert(n >= 0 && (size_t)n < sizeof tmp);
	sbuf_add(b, tmp, (size_t)n);
}

static int sbuf_finish(struct qr_sbuf *b, char **out, size_t *len)
{
	if (b->err) {
		free(b->p);
		return b->err;
	}
	*out = b->p;
	*len = b->len;
	return 0;
}

/* ---------------------------------------------------------------- SVG */

int qr_render_svg(const qr *q, int status, char **svg, size_t *len)
{
	const struct qr_colour *c = qr_colour(status);
	struct qr_sbuf b = {0};
	int side = q->size + 2 * QR_QUIET;

	*svg = NULL;
	*len = 0;
	if (c == NULL)
		return AK_EINVAL;
	/* width and height, in pixels as the PNG has them: without them a
	 * viewer that opens the file on its own falls back to its default
	 * size for a replaced element, too small for a module to be more
	 * than a pixel, and the code does not scan. A page that shows it
	 * sizes it with CSS, which overrides them. */
	sbuf_fmt(&b,
		 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		 "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">",
		 side * QR_SCALE_DEFAULT, side * QR_SCALE_DEFAULT, side, side);
	sbuf_fmt(&b, "<title>%s</title>", c->word);
	sbuf_str(&b, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
	sbuf_fmt(&b, "<path fill=\"%s\" d=\"", c->hex);
	/* One rectangle per horizontal run of dark modules. */
	for (int y = 0; y < q->size; y++) {
		int x = 0;
		while (x < q->size) {
			if (!qr_module(q, x, y)) {
				x++;
				continue;
			}
			int start = x;
			while (x < q->size && qr_module(q, x, y))
				x++;
			sbuf_fmt(&b, "M%d %dh%dv1h-%dz", start + QR_QUIET, y + QR_QUIET, x - start,
				 x - start);
		}
	}
	sbuf_str(&b, "\"/></svg>\n");
	return sbuf_finish(&b, svg, len);
}

/* ---------------------------------------------------------------- terminal */

int qr_render_text(const qr *q, int status, unsigned flags, char **text, size_t *len)
{
	/* Indexed by (top dark) | (bottom dark) << 1. */
	static const char *const glyph[4] = {" ", "\xe2\x96\x80", "\xe2\x96\x84", "\xe2\x96\x88"};
	const struct qr_colour *c = qr_colour(status);
	struct qr_sbuf b = {0};
	int side = q->size + 2 * QR_QUIET;
	char on[64] = "", off[8] = "";

	*text = NULL;
	*len = 0;
	if (c == NULL || (flags & ~(unsigned)QR_TEXT_COLOUR) != 0)
		return AK_EINVAL;
	if (flags & QR_TEXT_COLOUR) {
		snprintf(on, sizeof on, "\x1b[38;2;%u;%u;%u;48;2;255;255;255m", c->r, c->g, c->b);
		snprintf(off, sizeof off, "\x1b[0m");
	}
	/* side is odd, so the last line's lower half lies outside the quiet
	 * zone; qr_module answers light there, which is what it should be. */
	for (int row = 0; row < side; row += 2) {
		sbuf_str(&b, on);
		for (int x = 0; x < side; x++) {
			int top = qr_module(q, x - QR_QUIET, row - QR_QUIET);
			int bottom = qr_module(q, x - QR_QUIET, row + 1 - QR_QUIET);
			sbuf_str(&b, glyph[top | bottom << 1]);
		}
		/* Reset before the newline, so the white background does not
		 * run on to the edge of the terminal. */
		sbuf_str(&b, off);
		sbuf_str(&b, "\n");
	}
	return sbuf_finish(&b, text, len);
}

/* ---------------------------------------------------------------- PNG */

struct qr_png_job {
	const qr *q;
	const struct qr_colour *colour;
	unsigned scale;
	png_structp png;
	png_infop info;
	uint8_t *row;
	uint8_t *out; /* the PNG so far */
	size_t len, cap;
	int err; /* set before png_error when the cause is known */
};

static void qr_png_write(png_structp png, png_bytep data, size_t n)
{
	struct qr_png_job *job = png_get_io_ptr(png);

	if (job->cap - job->len < n) {
		size_t cap = job->cap ? job->cap : 8192;
		while (cap - job->len < n) {
			if (cap > SIZE_MAX / 2) {
				job->err = AK_ENOMEM;
				png_error(png, "too large");
			}
			cap *= 2;
		}
		uint8_t *p = realloc(job->out, cap);
		if (p == NULL) {
			job->err = AK_ENOMEM;
			png_error(png, "out of memory");
		}
		job->out = p;
		job->cap = cap;
	}
	memcpy(job->out + job->len, data, n);
	job->len += n;
}

static void qr_png_flush(png_structp png)
{
	(void)png;
}

/* libpng's default handlers print to stderr; library code must not. */
static void qr_png_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void qr_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/*
 * Writes the whole image. The only function that calls setjmp; after a
 * longjmp it touches nothing but job, whose address does not change.
 */
static int qr_png_run(struct qr_png_job *job)
{
	const qr *q = job->q;
	unsigned scale = job->scale;
	uint32_t side = (uint32_t)(q->size + 2 * QR_QUIET) * scale;
	png_color palette[2] = {
	    {0xff, 0xff, 0xff},
	    {job->colour->r, job->colour->g, job->colour->b},
	};

	if (setjmp(png_jmpbuf(job->png)))
		return job->err ? job->err : AK_EIO;

	png_set_write_fn(job->png, job, qr_png_write, qr_png_flush);
	png_set_IHDR(job->png, job->info, side, side, 1, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_PLTE(job->png, job->info, palette, 2);
	png_write_info(job->png, job->info);
	for (uint32_t py = 0; py < side; py++) {
		int my = (int)(py / scale) - QR_QUIET;
		memset(job->row, 0, (side + 7) / 8);
		for (uint32_t px = 0; px < side; px++)
			if (qr_module(q, (int)(px / scale) - QR_QUIET, my))
				job->row[px / 8] |= (uint8_t)(0x80u >> (px % 8));
		png_write_row(job->png, job->row);
	}
	png_write_end(job->png, NULL);
	return 0;
}

int qr_render_png(const qr *q, int status, unsigned scale, uint8_t **png, size_t *len)
{
	struct qr_png_job job = {.q = q, .scale = scale};
	int err;

	*png = NULL;
	*len = 0;
	if ((job.colour = qr_colour(status)) == NULL || scale < 1 || scale > QR_SCALE_MAX)
		return AK_EINVAL;
	job.png =
	    png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, qr_png_error, qr_png_warning);
	if (job.png == NULL)
		return AK_ENOMEM;
	if ((job.info = png_create_info_struct(job.png)) == NULL ||
	    (job.row = malloc(((size_t)(q->size + 2 * QR_QUIET) * scale + 7) / 8)) == NULL) {
		err = AK_ENOMEM;
		goto fail;
	}
	if ((err = qr_png_run(&job)) != 0)
		goto fail;
	png_destroy_write_struct(&job.png, &job.info);
	free(job.row);
	*png = job.out;
	*len = job.len;
	return 0;

fail:
	png_destroy_write_struct(&job.png, &job.info);
	free(job.row);
	free(job.out);
	return err;
}
