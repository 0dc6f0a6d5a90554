/*
 * test_qr: service/qr.c draws a credential and verifier/scan.c reads it
 * back, byte for byte, for every status colour and error-correction level,
 * with the test vector's credential and with a synthetic one of the
 * largest size; the SVG and terminal forms hold exactly the matrix; bad
 * input to either side is refused, never a crash.
 *
 * Runs from the project root (tests/vectors/credential.json).
 */
#include <png.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "service/qr.h"
#include "tests/lib/tap.h"
#include "verifier/scan.h"

#define VECTORS "tests/vectors/credential.json"

static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* ---------------------------------------------------------------- helpers */

/* What a scan saw: every symbol's text, joined by '\n', and how many. */
struct seen {
	char text[4 * CRED_TEXT_MAX];
	size_t len;
	int n;
};

static int collect(void *ctx, const char *text, size_t len)
{
	struct seen *s = ctx;
	if (s->len + len + 1 >= sizeof s->text)
		return AK_ETOOBIG;
	if (s->n++ > 0)
		s->text[s->len++] = '\n';
	memcpy(s->text + s->len, text, len);
	s->len += len;
	s->text[s->len] = '\0';
	return 0;
}

static int stop_at_first(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	(void)text;
	(void)len;
	return AK_EDENIED;
}

/* Scans a PNG and returns what scan_png_buffer returned. */
static int scan(const uint8_t *png, size_t len, struct seen *s)
{
	memset(s, 0, sizeof *s);
	return scan_png_buffer(png, len, collect, s);
}

static char *load_vector_credential(void)
{
	json_error_t jerr;
	json_t *root = json_load_file(VECTORS, 0, &jerr);
	const char *c;
	char *out;

	if (root == NULL)
		bail_out("cannot read " VECTORS);
	c = json_string_value(
	    json_object_get(json_array_get(json_object_get(root, "cases"), 0), "credential"));
	if (c == NULL)
		bail_out("no cases[0].credential in " VECTORS);
	out = strdup(c);
	json_decref(root);
	return out;
}

/* "AK1:" and base45 characters up to CRED_TEXT_MAX, every one of the 45
 * present, ending in a space (a scanner that trims would fail here). */
static void synthetic_credential(char out[CRED_TEXT_MAX + 1])
{
	uint32_t x = 12345;
	memcpy(out, CRED_PREFIX, CRED_PREFIX_LEN);
	for (size_t i = CRED_PREFIX_LEN; i < CRED_TEXT_MAX; i++) {
		x = x * 1103515245u + 12345u;
		out[i] =
		    i < CRED_PREFIX_LEN + 45 ? alnum[i - CRED_PREFIX_LEN] : alnum[(x >> 16) % 45];
	}
	out[CRED_TEXT_MAX - 2] = ' ';
	out[CRED_TEXT_MAX - 1] = ' ';
	out[CRED_TEXT_MAX] = '\0';
}

struct mem {
	uint8_t *p;
	size_t len, cap;
};

static void mem_write(png_structp png, png_bytep data, size_t n)
{
	struct mem *m = png_get_io_ptr(png);
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->p = realloc(m->p, m->cap);
		if (m->p == NULL)
			bail_out("out of memory");
	}
	memcpy(m->p + m->len, data, n);
	m->len += n;
}

static void mem_flush(png_structp png)
{
	(void)png;
}

/*
 * Writes a w x h grey image (0 dark .. 255 white) as a PNG of another
 * kind, so the reader's conversions are tested: colour type and bit depth
 * as given, optionally interlaced, optionally with white made fully
 * transparent (and its colour black, so that only compositing over white
 * keeps the code readable).
 */
static uint8_t *png_of_grey(const uint8_t *grey, uint32_t w, uint32_t h, int type, int depth,
			    int interlace, int white_transparent, size_t *len)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	struct mem m = {0};
	int ch = type == PNG_COLOR_TYPE_GRAY         ? 1
		 : type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
		 : type == PNG_COLOR_TYPE_RGB        ? 3
		 : type == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
						     : 1;
	size_t bps = depth == 16 ? 2 : 1;
	size_t rowbytes = (size_t)w * ch * bps + 1;
	uint8_t *buf = calloc(h, rowbytes);
	png_bytep *rows = calloc(h, sizeof *rows);

	if (setjmp(png_jmpbuf(png)))
		bail_out("libpng failed writing a test image");
	png_set_write_fn(png, &m, mem_write, mem_flush);
	png_set_IHDR(png, info, w, h, depth, type,
		     interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (type == PNG_COLOR_TYPE_PALETTE) {
		/* index 0 dark red, 1 white, or transparent black */
		png_color pal[2] = {{0x80, 0, 0}, {0xff, 0xff, 0xff}};
		png_byte trns[2] = {0xff, 0x00};
		/* Before png_set_PLTE, which copies the palette. */
		if (white_transparent)
			pal[1].red = pal[1].green = pal[1].blue = 0;
		png_set_PLTE(png, info, pal, 2);
		if (white_transparent)
			png_set_tRNS(png, info, trns, 2, NULL);
	}
	for (uint32_t y = 0; y < h; y++) {
		uint8_t *r = buf + (size_t)y * rowbytes;
		rows[y] = r;
		for (uint32_t x = 0; x < w; x++) {
			uint8_t g = grey[(size_t)y * w + x];
			int white = g >= 128;
			if (type == PNG_COLOR_TYPE_PALETTE) {
				/* depth 1, 2, 4 or 8, MSB first */
				size_t bit = (size_t)x * depth;
				r[bit / 8] |= (uint8_t)((white ? 1 : 0) << (8 - depth - bit % 8));
				continue;
			}
			if (depth < 8 && type == PNG_COLOR_TYPE_GRAY) {
				size_t bit = (size_t)x * depth;
				unsigned v = white ? (1u << depth) - 1 : 0;
				r[bit / 8] |= (uint8_t)(v << (8 - depth - bit % 8));
				continue;
			}
			uint8_t px[4];
			if (white_transparent && white) {
				px[0] = px[1] = px[2] = 0;
				px[3] = 0;
			} else {
				px[0] = px[1] = px[2] = g;
				px[3] = 0xff;
			}
			if (type == PNG_COLOR_TYPE_GRAY_ALPHA)
				px[1] = px[3];
			for (int c = 0; c < ch; c++)
				for (size_t b = 0; b < bps; b++)
					r[((size_t)x * ch + c) * bps + b] = px[c];
		}
	}
	png_set_rows(png, info, rows);
	png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
	png_destroy_write_struct(&png, &info);
	free(rows);
	free(buf);
	*len = m.len;
	return m.p;
}

/* The matrix as a grey image, scale pixels a module, with quiet zone,
 * placed at (ox, oy) in a canvas of cw x ch (already white). */
static void draw_grey(uint8_t *canvas, uint32_t cw, const qr *q, unsigned scale, uint32_t ox,
		      uint32_t oy)
{
	uint32_t side = (uint32_t)(qr_size(q) + 2 * QR_QUIET) * scale;
	for (uint32_t y = 0; y < side; y++)
		for (uint32_t x = 0; x < side; x++)
			if (qr_module(q, (int)(x / scale) - QR_QUIET, (int)(y / scale) - QR_QUIET))
				canvas[(size_t)(oy + y) * cw + ox + x] = 0;
}

/* CRC-32 of PNG chunks (ISO 3309), for hand-made headers. */
static uint32_t crc32_png(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Signature, an IHDR declaring w x h (8-bit grey) with a good CRC, and the
 * start of an IDAT with a few bytes: what a decompression bomb looks like
 * before its pixels. */
static size_t png_header_only(uint8_t out[64], uint32_t w, uint32_t h)
{
	static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	memcpy(out, sig, 8);
	put32(out + 8, 13);
	memcpy(out + 12, "IHDR", 4);
	put32(out + 16, w);
	put32(out + 20, h);
	out[24] = 8; /* bit depth */
	out[25] = 0; /* grey */
	out[26] = out[27] = out[28] = 0;
	put32(out + 29, crc32_png(out + 12, 17));
	put32(out + 33, 4);
	memcpy(out + 37, "IDAT", 4);
	memcpy(out + 41, "\x78\x9c\x00\x00", 4);
	put32(out + 45, crc32_png(out + 37, 8));
	return 49;
}

/* ---------------------------------------------------------------- tests */

static void test_round_trip(const char *name, const char *text)
{
	static const enum qr_ecc eccs[] = {QR_ECC_DEFAULT, QR_ECC_L, QR_ECC_M, QR_ECC_Q, QR_ECC_H};
	static const char *const ecc_names = "dLMQH";
	int version_q = 0, versions[5] = {0};

	for (size_t e = 0; e < AK_ARRAY_LEN(eccs); e++) {
		qr *q = NULL;
		int rc = qr_encode(&q, text, strlen(text), eccs[e]);
		if (!is_int(rc, 0, "%s: encode at ECC %c", name, ecc_names[e]))
			continue;
		if (eccs[e] == QR_ECC_DEFAULT)
			version_q = qr_version(q);
		else if (eccs[e] == QR_ECC_Q)
			is_int(qr_version(q), version_q, "%s: default level is Q (version %d)",
			       name, version_q);
		versions[e] = qr_version(q);
		ok(qr_size(q) == 17 + 4 * qr_version(q), "%s: size %d matches version %d", name,
		   qr_size(q), qr_version(q));
		for (int status = CRED_GREEN; status <= CRED_RED; status++) {
			uint8_t *png = NULL;
			size_t len = 0;
			struct seen s;
			/* Scale 2 for the large codes keeps the test quick;
			 * zbar reads 2 pixels a module without trouble. */
			unsigned scale = qr_size(q) > 60 ? 2 : 3;
			rc = qr_render_png(q, status, scale, &png, &len);
			if (!is_int(rc, 0, "%s: ECC %c %s: PNG rendered (%zu bytes)", name,
				    ecc_names[e], cred_status_word(status), len))
				continue;
			rc = scan(png, len, &s);
			is_int(rc, 1, "%s: ECC %c %s: one code scanned", name, ecc_names[e],
			       cred_status_word(status));
			ok(s.len == strlen(text) && memcmp(s.text, text, s.len) == 0,
			   "%s: ECC %c %s: scanned text identical", name, ecc_names[e],
			   cred_status_word(status));
			free(png);
		}
		qr_free(q);
	}
	diag("%s: QR version %d at L, %d at M, %d at Q, %d at H", name, versions[1], versions[2],
	     versions[3], versions[4]);
}

static void test_scale_and_file(const char *text)
{
	qr *q = NULL;
	uint8_t *png = NULL;
	size_t len;
	struct seen s;
	char path[] = "/tmp/ankang-test-qr-XXXXXX";
	int fd;

	qr_encode(&q, text, strlen(text), QR_ECC_DEFAULT);
	for (unsigned scale = 1; scale <= 8; scale *= 2) {
		qr_render_png(q, CRED_YELLOW, scale, &png, &len);
		uint32_t w = ((uint32_t)png[16] << 24) | png[17] << 16 | png[18] << 8 | png[19];
		is_int(w, (qr_size(q) + 2 * QR_QUIET) * scale, "scale %u: width in IHDR", scale);
		if (scale >= 2) {
			is_int(scan(png, len, &s), 1, "scale %u: scans", scale);
			ok(strcmp(s.text, text) == 0, "scale %u: same text", scale);
		}
		free(png);
	}
	is_int(qr_render_png(q, CRED_GREEN, 0, &png, &len), AK_EINVAL, "scale 0 refused");
	ok(png == NULL, "no output on error");
	is_int(qr_render_png(q, CRED_GREEN, QR_SCALE_MAX + 1, &png, &len), AK_EINVAL,
	       "scale over QR_SCALE_MAX refused");
	is_int(qr_render_png(q, 3, 4, &png, &len), AK_EINVAL, "status 3 refused");
	is_int(qr_render_png(q, -1, 4, &png, &len), AK_EINVAL, "status -1 refused");

	/* Through a file, as ankang-verify --image reads it. */
	qr_render_png(q, CRED_RED, 4, &png, &len);
	if ((fd = mkstemp(path)) < 0 || write(fd, png, len) != (ssize_t)len)
		bail_out("cannot write a temporary file");
	close(fd);
	memset(&s, 0, sizeof s);
	is_int(scan_image_file(path, collect, &s), 1, "scan_image_file finds the code");
	is_str(s.text, text, "scan_image_file: same text");
	is_int(scan_image_file(path, stop_at_first, NULL), AK_EDENIED,
	       "a callback's non-zero return stops the scan and is returned");
	unlink(path);
	is_int(scan_image_file(path, collect, &s), AK_ENOENT, "missing file: AK_ENOENT");
	is_int(scan_image_file("/tmp", collect, &s) < 0, 1, "a directory is refused");
	free(png);
	qr_free(q);
}

static void test_png_kinds(const char *text, const char *text2)
{
	static const struct {
		const char *what;
		int type, depth, interlace, transparent;
	} kinds[] = {
	    {"grey 8-bit", PNG_COLOR_TYPE_GRAY, 8, 0, 0},
	    {"grey 1-bit", PNG_COLOR_TYPE_GRAY, 1, 0, 0},
	    {"grey 16-bit interlaced", PNG_COLOR_TYPE_GRAY, 16, 1, 0},
	    {"grey+alpha, transparent background", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 1},
	    {"RGB 8-bit", PNG_COLOR_TYPE_RGB, 8, 0, 0},
	    {"RGB 16-bit", PNG_COLOR_TYPE_RGB, 16, 0, 0},
	    {"RGBA, transparent background", PNG_COLOR_TYPE_RGB_ALPHA, 8, 1, 1},
	    {"RGBA 16-bit, transparent background", PNG_COLOR_TYPE_RGB_ALPHA, 16, 0, 1},
	    {"palette 1-bit with tRNS", PNG_COLOR_TYPE_PALETTE, 1, 0, 1},
	    {"palette 4-bit interlaced", PNG_COLOR_TYPE_PALETTE, 4, 1, 0},
	};
	qr *q = NULL, *q2 = NULL;
	const unsigned scale = 3;

	qr_encode(&q, text, strlen(text), QR_ECC_DEFAULT);
	uint32_t side = (uint32_t)(qr_size(q) + 2 * QR_QUIET) * scale;
	uint8_t *grey = malloc((size_t)side * side);
	memset(grey, 0xff, (size_t)side * side);
	draw_grey(grey, side, q, scale, 0, 0);
	for (size_t k = 0; k < AK_ARRAY_LEN(kinds); k++) {
		size_t len;
		struct seen s;
		uint8_t *png = png_of_grey(grey, side, side, kinds[k].type, kinds[k].depth,
					   kinds[k].interlace, kinds[k].transparent, &len);
		is_int(scan(png, len, &s), 1, "%s: one code", kinds[k].what);
		is_str(s.text, text, "%s: same text", kinds[k].what);
		free(png);
	}
	free(grey);

	/* Two codes side by side: both found, each whole. */
	qr_encode(&q2, text2, strlen(text2), QR_ECC_DEFAULT);
	uint32_t side2 = (uint32_t)(qr_size(q2) + 2 * QR_QUIET) * scale;
	uint32_t w = side + side2, h = side > side2 ? side : side2;
	grey = malloc((size_t)w * h);
	memset(grey, 0xff, (size_t)w * h);
	draw_grey(grey, w, q, scale, 0, 0);
	draw_grey(grey, w, q2, scale, side, 0);
	{
		size_t len;
		struct seen s;
		uint8_t *png = png_of_grey(grey, w, h, PNG_COLOR_TYPE_GRAY, 8, 0, 0, &len);
		is_int(scan(png, len, &s), 2, "two codes in one image: both found");
		ok(s.len == strlen(text) + 1 + strlen(text2) &&
		       (strstr(s.text, text) != NULL && strstr(s.text, text2) != NULL),
		   "two codes in one image: each text whole");
		free(png);
	}
	/* A blank image: no code, no error. */
	memset(grey, 0xff, (size_t)w * h);
	{
		size_t len;
		struct seen s;
		uint8_t *png = png_of_grey(grey, w, h, PNG_COLOR_TYPE_GRAY, 8, 0, 0, &len);
		is_int(scan(png, len, &s), 0, "blank image: 0 codes");
		free(png);
	}
	free(grey);
	qr_free(q);
	qr_free(q2);
}

static void test_svg(const char *text)
{
	for (int status = CRED_GREEN; status <= CRED_RED; status++) {
		qr *q = NULL;
		char *svg = NULL;
		size_t len = 0;
		const char *word = cred_status_word(status);
		char title[32];

		qr_encode(&q, text, strlen(text), QR_ECC_DEFAULT);
		is_int(qr_render_svg(q, status, &svg, &len), 0, "SVG %s rendered", word);
		int side = qr_size(q) + 2 * QR_QUIET;
		char head[200];
		snprintf(head, sizeof head,
			 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
			 "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">",
			 side * QR_SCALE_DEFAULT, side * QR_SCALE_DEFAULT, side, side);
		ok(strncmp(svg, head, strlen(head)) == 0,
		   "SVG %s: <svg>, width and height in pixels (the PNG's), viewBox in modules",
		   word);
		ok(len == strlen(svg) && len > 7 && strcmp(svg + len - 7, "</svg>\n") == 0,
		   "SVG %s: ends with </svg>", word);
		ok(strstr(svg, qr_status_colour(status)) != NULL, "SVG %s: holds its colour %s",
		   word, qr_status_colour(status));
		snprintf(title, sizeof title, "<title>%s</title>", word);
		ok(strstr(svg, title) != NULL, "SVG %s: title is the status word", word);
		ok(strstr(svg, "\xe5\xbc\xa0\xe4\xb8\x89") == NULL && strstr(svg, text) == NULL,
		   "SVG %s: no name, no credential text", word);
		const char *p = strstr(svg, "<path");
		ok(p != NULL && strstr(p + 1, "<path") == NULL, "SVG %s: exactly one <path>", word);

		/* The path's rectangles, drawn, are exactly the matrix. */
		uint8_t *m = calloc((size_t)side * side, 1);
		const char *d = p ? strstr(p, " d=\"") : NULL;
		int bad = d == NULL;
		if (d) {
			d += 4;
			while (*d == 'M') {
				int x, y, n, n2, used;
				if (sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &n2, &used) != 4 ||
				    n != n2 || x < 0 || y < 0 || n < 1 || x + n > side ||
				    y >= side) {
					bad = 1;
					break;
				}
				for (int i = 0; i < n; i++)
					m[(size_t)y * side + x + i]++;
				d += used;
			}
			bad |= *d != '"';
		}
		for (int y = 0; y < side && !bad; y++)
			for (int x = 0; x < side; x++)
				if (m[(size_t)y * side + x] !=
				    qr_module(q, x - QR_QUIET, y - QR_QUIET))
					bad = 1;
		ok(!bad, "SVG %s: path covers each dark module once, nothing else", word);
		free(m);
		free(svg);
		is_int(qr_render_svg(q, 7, &svg, &len), AK_EINVAL, "SVG: status 7 refused");
		qr_free(q);
	}
}

/* Reads one glyph of qr_render_text back: bit 0 top dark, bit 1 bottom. */
static int glyph_bits(const char **p)
{
	const char *s = *p;
	if (*s == ' ') {
		*p += 1;
		return 0;
	}
	if (strncmp(s, "\xe2\x96\x80", 3) == 0 || strncmp(s, "\xe2\x96\x84", 3) == 0 ||
	    strncmp(s, "\xe2\x96\x88", 3) == 0) {
		*p += 3;
		return s[2] == '\x80' ? 1 : s[2] == '\x84' ? 2 : 3;
	}
	return -1;
}

static void test_text(const char *name, const char *text)
{
	qr *q = NULL;
	char *plain = NULL, *colour = NULL;
	size_t plen, clen;

	qr_encode(&q, text, strlen(text), QR_ECC_DEFAULT);
	int side = qr_size(q) + 2 * QR_QUIET;
	is_int(qr_render_text(q, CRED_GREEN, 0, &plain, &plen), 0, "%s: text rendered", name);
	int lines = 0;
	for (size_t i = 0; i < plen; i++)
		lines += plain[i] == '\n';
	is_int(lines, (side + 1) / 2, "%s: %d lines for %d modules", name, (side + 1) / 2, side);
	ok(strchr(plain, '\x1b') == NULL, "%s: plain text has no escapes", name);

	/* Read the half blocks back into modules: exactly the matrix, quiet
	 * zone light, so what a terminal shows is what the PNG shows. */
	const char *p = plain;
	int bad = 0;
	for (int row = 0; row < side && !bad; row += 2) {
		for (int x = 0; x < side && !bad; x++) {
			int b = glyph_bits(&p);
			if (b < 0 || (b & 1) != qr_module(q, x - QR_QUIET, row - QR_QUIET) ||
			    (b >> 1) != qr_module(q, x - QR_QUIET, row + 1 - QR_QUIET))
				bad = 1;
		}
		bad |= *p++ != '\n';
	}
	ok(!bad && *p == '\0', "%s: half blocks read back as the matrix", name);

	is_int(qr_render_text(q, CRED_RED, QR_TEXT_COLOUR, &colour, &clen), 0,
	       "%s: colour text rendered", name);
	ok(strncmp(colour, "\x1b[38;2;198;40;40;48;2;255;255;255m", 34) == 0,
	   "%s: starts with red on white", name);
	/* Without its escapes, the colour form is the plain form. */
	char *stripped = malloc(clen + 1);
	size_t n = 0;
	int esc_lines = 0;
	for (size_t i = 0; i < clen; i++) {
		if (colour[i] == '\x1b') {
			if (strncmp(colour + i, "\x1b[0m\n", 5) == 0)
				esc_lines++;
			while (i < clen && colour[i] != 'm')
				i++;
			continue;
		}
		stripped[n++] = colour[i];
	}
	stripped[n] = '\0';
	is_str(stripped, plain, "%s: colour form is the plain form plus escapes", name);
	is_int(esc_lines, (side + 1) / 2, "%s: every line resets before its newline", name);
	free(stripped);
	free(colour);
	free(plain);
	is_int(qr_render_text(q, CRED_GREEN, 2, &plain, &plen), AK_EINVAL,
	       "%s: unknown flag refused", name);
	is_int(qr_render_text(q, 3, 0, &plain, &plen), AK_EINVAL, "%s: status 3 refused", name);
	qr_free(q);
}

static void test_encode_refusals(void)
{
	static const struct {
		const char *what, *text;
		size_t len;
	} bad[] = {
	    {"lower case", "AK1:abc", 7},
	    {"newline", "AK1:ABC\n", 8},
	    {"NUL inside", "AK1:A\0B", 7},
	    {"underscore", "AK1:A_B", 7},
	    {"UTF-8", "AK1:\xc3\xa9", 6},
	    {"byte 0xff", "AK1:\xff", 5},
	    {"empty", "", 0},
	};
	char big[CRED_TEXT_MAX + 2];
	qr *q = (qr *)&q;

	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++) {
		q = (qr *)&q;
		is_int(qr_encode(&q, bad[i].text, bad[i].len, QR_ECC_DEFAULT), AK_EINVAL,
		       "refused: %s", bad[i].what);
		ok(q == NULL, "refused: %s: *out is NULL", bad[i].what);
	}
	memset(big, 'A', sizeof big);
	is_int(qr_encode(&q, big, CRED_TEXT_MAX + 1, QR_ECC_DEFAULT), AK_ETOOBIG,
	       "refused: %d characters", CRED_TEXT_MAX + 1);
	is_int(qr_encode(&q, big, CRED_TEXT_MAX, QR_ECC_H), 0, "%d characters fit at level H",
	       CRED_TEXT_MAX);
	qr_free(q);
	is_int(qr_encode(&q, "AK1:", 4, (enum qr_ecc)9), AK_EINVAL, "refused: level 9");
	is_int(qr_encode(&q, alnum, strlen(alnum), QR_ECC_DEFAULT), 0,
	       "all 45 alphanumeric characters accepted");
	qr_free(q);
	qr_free(NULL);
	ok(1, "qr_free(NULL) is a no-op");

	ok(strcmp(qr_status_colour(CRED_GREEN), "#12803c") == 0 &&
	       strcmp(qr_status_colour(CRED_YELLOW), "#8c6a00") == 0 &&
	       strcmp(qr_status_colour(CRED_RED), "#c62828") == 0,
	   "status colours");
	ok(qr_status_colour(3) == NULL && qr_status_colour(-1) == NULL,
	   "no colour for a status out of range");
	for (int st = CRED_GREEN; st <= CRED_RED; st++) {
		uint8_t rgb[3];
		char hex[8];
		int rc = qr_status_rgb(st, rgb);
		snprintf(hex, sizeof hex, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
		ok(rc == 0 && strcmp(hex, qr_status_colour(st)) == 0,
		   "qr_status_rgb %d: the same colour as qr_status_colour", st);
	}
	uint8_t rgb[3];
	ok(qr_status_rgb(3, rgb) == AK_EINVAL && qr_status_rgb(-1, rgb) == AK_EINVAL,
	   "qr_status_rgb: AK_EINVAL for a status out of range");
}

static void test_bad_png(const char *text)
{
	qr *q = NULL;
	uint8_t *png = NULL, hdr[64];
	size_t len, n;
	struct seen s;
	int crashed_not = 1, errors = 0;

	is_int(scan((const uint8_t *)"", 0, &s), AK_EINVAL, "empty input: AK_EINVAL");
	is_int(scan((const uint8_t *)"hello, world", 12, &s), AK_EINVAL, "text: AK_EINVAL");
	is_int(scan((const uint8_t *)"\xff\xd8\xff\xe0\0\x10JFIF\0", 11, &s), AK_EINVAL,
	       "a JPEG header: AK_EINVAL");
	is_int(scan((const uint8_t *)"\x89PNG\r\n\x1a\n", 8, &s), AK_EINVAL,
	       "signature only: AK_EINVAL");

	if (qr_encode(&q, text, strlen(text), QR_ECC_DEFAULT) != 0 ||
	    qr_render_png(q, CRED_GREEN, 2, &png, &len) != 0 || len == 0)
		bail_out("cannot draw the test code");
	/* Every truncation: an error, or (once the pixels are all there and
	 * only IEND is missing) the code; never anything else. */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, png, cut);
		int rc = scan(copy, cut, &s);
		if (rc < 0)
			errors++;
		else if (rc != 1 || strcmp(s.text, text) != 0)
			crashed_not = 0;
		free(copy);
	}
	ok(crashed_not, "every truncation of a %zu-byte PNG: error or the whole code", len);
	ok(errors >= (int)len - 12, "every truncation before IEND is an error (%d of %zu)", errors,
	   len);
	/* A flipped bit in the image data: the CRC catches it. */
	uint8_t *copy = malloc(len);
	memcpy(copy, png, len);
	copy[len / 2] ^= 0x10;
	is_int(scan(copy, len, &s), AK_EINVAL, "a flipped bit in IDAT: AK_EINVAL");
	free(copy);
	free(png);
	qr_free(q);

	n = png_header_only(hdr, 100000, 100000);
	is_int(scan(hdr, n, &s), AK_ETOOBIG, "declared 100000 x 100000: AK_ETOOBIG");
	n = png_header_only(hdr, SCAN_DIM_MAX + 1, 1);
	is_int(scan(hdr, n, &s), AK_ETOOBIG, "declared %u x 1: AK_ETOOBIG", SCAN_DIM_MAX + 1);
	n = png_header_only(hdr, SCAN_DIM_MAX, SCAN_DIM_MAX);
	is_int(scan(hdr, n, &s), AK_ETOOBIG, "declared %u x %u (too many pixels): AK_ETOOBIG",
	       SCAN_DIM_MAX, SCAN_DIM_MAX);
	n = png_header_only(hdr, 0x7fffffff, 0x7fffffff);
	ok(scan(hdr, n, &s) < 0, "declared 2^31-1 a side: refused");
	n = png_header_only(hdr, 0, 10);
	is_int(scan(hdr, n, &s), AK_EINVAL, "declared width 0: AK_EINVAL");
	n = png_header_only(hdr, 2000, 2000);
	is_int(scan(hdr, n, &s), AK_EINVAL, "2000 x 2000 with 4 bytes of data: AK_EINVAL");
	is_int(scan_png_buffer(hdr, (size_t)SCAN_FILE_MAX + 1, collect, &s), AK_ETOOBIG,
	       "a buffer over SCAN_FILE_MAX: AK_ETOOBIG (before reading it)");
}

int main(void)
{
	char *vec = load_vector_credential();
	char big[CRED_TEXT_MAX + 1];

	synthetic_credential(big);
	ok(strlen(vec) > CRED_PREFIX_LEN && strncmp(vec, CRED_PREFIX, CRED_PREFIX_LEN) == 0,
	   "vector credential loaded (%zu characters)", strlen(vec));
	test_encode_refusals();
	test_round_trip("vector", vec);
	test_round_trip("1024 chars", big);
	test_scale_and_file(vec);
	test_png_kinds(vec, big);
	test_svg(vec);
	test_svg(big);
	test_text("vector", vec);
	test_text("1024 chars", big);
	test_bad_png(vec);
	free(vec);
	return tap_done();
}
