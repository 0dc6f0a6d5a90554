/*
 * qr: a credential's QR code, drawn in its status colour.
 *
 * A credential (FORMAT.md section 1) is "AK1:" and base45, every character
 * of it in the QR alphanumeric set, so it is always encoded in alphanumeric
 * mode at error-correction level Q unless a caller asks otherwise. Text with
 * any other character is refused rather than quietly encoded in byte mode:
 * a code that is not a credential should fail here, not at a checkpoint.
 *
 * A qr is the module matrix libqrencode made. The renderers draw it with a
 * quiet zone of QR_QUIET modules, dark modules in the status colour
 * (green, yellow, red, as people know health codes) on white. Each renderer
 * returns a malloc'd buffer the caller frees.
 *
 * Never: put anything but the code into an image (no name, no claims: the
 * SVG's title is the status word only), or print.
 */
#ifndef ANKANG_QR_H
#define ANKANG_QR_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cred.h"

/* The longest text qr_encode takes: the longest credential. */
#define QR_TEXT_MAX CRED_TEXT_MAX
/* Light modules around the code, as ISO/IEC 18004 asks. */
#define QR_QUIET 4
/* Pixels per module for PNG output; the largest keeps a version 40 code
 * (177 modules plus quiet zone) under 6000 pixels a side. */
#define QR_SCALE_MAX     32
#define QR_SCALE_DEFAULT 8

/*
 * Error-correction levels. QR_ECC_DEFAULT is 0 so that a zeroed setting
 * means level Q, the level FORMAT.md names.
 */
enum qr_ecc {
	QR_ECC_DEFAULT = 0,
	QR_ECC_L,
	QR_ECC_M,
	QR_ECC_Q,
	QR_ECC_H
};

typedef struct qr qr;

/*
 * Encodes text[0..len) in QR alphanumeric mode at the given level, with the
 * smallest version that fits. Returns 0 and sets *out, or AK_EINVAL (empty
 * text, a character outside 0-9 A-Z space $ % * + - . / :, a level out of
 * range), AK_ETOOBIG (over QR_TEXT_MAX), AK_ENOMEM.
 */
int qr_encode(qr **out, const char *text, size_t len, enum qr_ecc ecc);

/* Frees a qr; NULL is a no-op. */
void qr_free(qr *q);

/* Modules per side, without the quiet zone (21 for version 1 ... 177). */
int qr_size(const qr *q);
/* The QR version, 1..40. */
int qr_version(const qr *q);
/* 1 when the module at column x, row y is dark; 0 when light or outside. */
int qr_module(const qr *q, int x, int y);

/*
 * The status colour as "#rrggbb", for pages that draw beside the code:
 * green, a dark amber for yellow (bright yellow on white is too faint for
 * a scanner), and red. NULL for a status out of range.
 */
const char *qr_status_colour(int status);
/* The same colour as red, green and blue bytes into rgb, for a drawing
 * that is not text (the paper card, service/paper.c): 0, or AK_EINVAL for
 * a status out of range. */
int qr_status_rgb(int status, uint8_t rgb[3]);

/*
 * PNG: a 1-bit palette image, white and the status colour, QR_QUIET
 * modules of quiet zone, scale pixels per module (1..QR_SCALE_MAX).
 * Sets *png (malloc'd) and *len. Returns 0, AK_EINVAL (status or scale out
 * of range), AK_ENOMEM, or AK_EIO (libpng refused).
 */
int qr_render_png(const qr *q, int status, unsigned scale, uint8_t **png, size_t *len);

/*
 * SVG: one <path> of module rectangles in the status colour on a white
 * <rect>, viewBox in modules (quiet zone included), width and height in
 * pixels at QR_SCALE_DEFAULT a module (the PNG's size), crispEdges, and a
 * <title> holding only the status word. Sets *svg (malloc'd,
 * NUL-terminated) and *len. Returns 0, AK_EINVAL or AK_ENOMEM.
 */
int qr_render_svg(const qr *q, int status, char **svg, size_t *len);

/* qr_render_text flags. */
enum {
	/* Status colour on a white background with 24-bit ANSI escapes, which
	 * reads on dark terminals too. Without it: plain UTF-8 for a
	 * dark-on-light terminal. */
	QR_TEXT_COLOUR = 1
};

/*
 * Terminal text: UTF-8 half blocks, two module rows per line, the quiet
 * zone included, dark modules drawn as ink. (qr_size + 2*QR_QUIET + 1) / 2
 * lines, each ending in '\n'. Sets *text (malloc'd, NUL-terminated) and
 * *len. Returns 0, AK_EINVAL (status out of range, unknown flag) or
 * AK_ENOMEM.
 */
int qr_render_text(const qr *q, int status, unsigned flags, char **text, size_t *len);

#endif
