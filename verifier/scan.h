/*
 * scan: QR codes read from a PNG or JPEG image, for `ankang-verify
 * --image`: a saved code, a screenshot, or a phone's photo of a screen or
 * a printout (rotated, scaled, noisy: zbar's QR reader finds codes at any
 * angle), each image holding any number of codes.
 *
 * A PNG is decoded with libpng to 8-bit grey (any colour type and bit
 * depth; transparency composited over white, as a viewer shows it), a
 * JPEG with libjpeg to grey (baseline or progressive, any colour space
 * libjpeg converts), and handed to zbar's image scanner, with every
 * symbology but QR switched off. Each decoded symbol's text goes to a
 * callback, exactly as zbar decoded it; the scanner neither trims nor
 * interprets it.
 *
 * The image is untrusted input: files over SCAN_FILE_MAX bytes and images
 * over SCAN_DIM_MAX pixels a side or SCAN_PIXELS_MAX pixels in all are
 * refused before any pixel memory is allocated, and a corrupt PNG or JPEG
 * is an error, never a crash. Never prints, never links service or signing code.
 */
#ifndef ANKANG_SCAN_H
#define ANKANG_SCAN_H

#include <stddef.h>
#include <stdint.h>

#define SCAN_FILE_MAX (32u << 20)
#define SCAN_DIM_MAX  8192u
/* 32 Mpixel: a 48 Mpixel phone photo should be scaled down first. */
#define SCAN_PIXELS_MAX (32u << 20)

/*
 * Called once per decoded symbol with its text (text[len] is NUL, but the
 * text may itself hold NULs: use len). Return 0 to go on; anything else
 * stops the scan, and scan_* returns that value (so return a negative
 * AK_E* code to report an error).
 */
typedef int (*scan_fn)(void *ctx, const char *text, size_t len);

/*
 * Scans the PNG in buf[0..len). Returns the number of QR codes decoded (0
 * when none was found), the callback's non-zero value if it stopped the
 * scan, or AK_EINVAL (not a PNG, or a corrupt one), AK_ETOOBIG (over the
 * limits above), AK_ENOMEM, AK_EIO (zbar failed).
 */
int scan_png_buffer(const uint8_t *buf, size_t len, scan_fn fn, void *ctx);

/* The same for a JPEG (it starts FF D8 FF), with AK_EINVAL for one that
 * is not, or is corrupt. */
int scan_jpeg_buffer(const uint8_t *buf, size_t len, scan_fn fn, void *ctx);

/* A JPEG or a PNG, told apart by their first bytes: as the two above. */
int scan_image_buffer(const uint8_t *buf, size_t len, scan_fn fn, void *ctx);

/*
 * Reads path (a regular file, not followed if it is a symlink, at most
 * SCAN_FILE_MAX bytes) and scans it as scan_image_buffer does. Adds
 * AK_ENOENT (no such file) and AK_EIO (unreadable) to its returns.
 */
int scan_image_file(const char *path, scan_fn fn, void *ctx);

#endif
