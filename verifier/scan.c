/*
 * scan: PNG (libpng) -> 8-bit grey -> zbar -> each QR code's text. See
 * scan.h for the contract.
 *
 * Decoding. libpng is asked for 8-bit grey whatever the file holds:
 * png_set_expand (palette to RGB, grey below 8 bits to 8, tRNS to alpha),
 * png_set_strip_16, png_set_rgb_to_gray. What comes out is grey, or grey
 * and alpha; alpha is composited over white here, because a code saved
 * with a transparent background would otherwise show black-on-black.
 *
 * Limits. The image header is read before anything is allocated for
 * pixels, and width, height and their product are checked against
 * SCAN_DIM_MAX and SCAN_PIXELS_MAX there; ancillary chunks that could only
 * cost time (text, ICC profiles, Exif) are skipped unread. The input is
 * read through a bounds-checked memory reader, so a truncated file ends in
 * an error, not a read past the buffer.
 *
 * Errors. libpng reports them by longjmp. Only scan_decode calls setjmp,
 * and after a longjmp it uses nothing but its argument, a struct owned by
 * its caller: no local variable is modified between setjmp and longjmp,
 * so none can be clobbered, and the caller frees whatever was allocated.
 * libpng's default handlers would print; these do not.
 */
#include "verifier/scan.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <zbar.h>

#include "common/util.h"

struct scan_img {
	/* the input */
	const uint8_t *buf;
	size_t len, pos;
	/* libpng state and what it decodes into */
	png_structp png;
	png_infop info;
	png_bytep *rows;
	uint8_t *pix; /* w*h grey bytes after scan_decode */
	uint32_t w, h;
};

static void scan_read(png_structp png, png_bytep out, size_t n)
{
	struct scan_img *img = png_get_io_ptr(png);

	if (n > img->len - img->pos)
		png_error(png, "truncated");
	memcpy(out, img->buf + img->pos, n);
	img->pos += n;
}

static void scan_png_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void scan_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Chunks nothing here needs; skipping them skips their decompression. */
static const png_byte scan_skip_chunks[] = "iCCP\0"
					   "iTXt\0"
					   "tEXt\0"
					   "zTXt\0"
					   "eXIf\0"
					   "sPLT\0";

/*
 * Decodes img->buf into img->pix (img->w * img->h grey bytes). Returns 0,
 * AK_EINVAL (libpng refused the data), AK_ETOOBIG or AK_ENOMEM; on error
 * the caller frees img->rows and img->pix.
 */
static int scan_decode(struct scan_img *img)
{
	if (setjmp(png_jmpbuf(img->png)))
		return AK_EINVAL;

	png_set_read_fn(img->png, img, scan_read);
	png_set_keep_unknown_chunks(img->png, PNG_HANDLE_CHUNK_NEVER, scan_skip_chunks,
				    (int)(sizeof scan_skip_chunks / 5));
	png_read_info(img->png, img->info);
	img->w = png_get_image_width(img->png, img->info);
	img->h = png_get_image_height(img->png, img->info);
	if (img->w == 0 || img->h == 0)
		return AK_EINVAL;
	if (img->w > SCAN_DIM_MAX || img->h > SCAN_DIM_MAX ||
	    (uint64_t)img->w * img->h > SCAN_PIXELS_MAX)
		return AK_ETOOBIG;

	png_set_expand(img->png);
	png_set_strip_16(img->png);
	if (png_get_color_type(img->png, img->info) & PNG_COLOR_MASK_COLOR)
		png_set_rgb_to_gray_fixed(img->png, PNG_ERROR_ACTION_NONE, -1, -1);
	png_set_interlace_handling(img->png);
	png_read_update_info(img->png, img->info);

	size_t channels = png_get_channels(img->png, img->info);
	size_t rowbytes = png_get_rowbytes(img->png, img->info);
	if (png_get_bit_depth(img->png, img->info) != 8 || (channels != 1 && channels != 2) ||
	    rowbytes != channels * img->w)
		return AK_EINVAL; /* a transformation did not do what it says */

	/* At most 2 * SCAN_PIXELS_MAX bytes: no overflow in size_t. */
	if ((img->pix = malloc(rowbytes * img->h)) == NULL ||
	    (img->rows = malloc(sizeof *img->rows * img->h)) == NULL)
		return AK_ENOMEM;
	for (uint32_t y = 0; y < img->h; y++)
		img->rows[y] = img->pix + (size_t)y * rowbytes;
	png_read_image(img->png, img->rows);

	if (channels == 2) {
		/* Over white, in place: pixel i is read from 2i and 2i+1,
		 * which are never behind i. */
		size_t n = (size_t)img->w * img->h;
		for (size_t i = 0; i < n; i++) {
			unsigned g = img->pix[2 * i], a = img->pix[2 * i + 1];
			img->pix[i] = (uint8_t)((g * a + 255u * (255u - a) + 127u) / 255u);
		}
	}
	return 0;
}

/* Runs zbar over the grey image; see scan_png_buffer for the returns. */
static int scan_zbar(const uint8_t *pix, uint32_t w, uint32_t h, scan_fn fn, void *ctx)
{
	zbar_image_scanner_t *scanner = NULL;
	zbar_image_t *image = NULL;
	const zbar_symbol_t *sym;
	int rc = 0, count = 0;

	if ((scanner = zbar_image_scanner_create()) == NULL ||
	    (image = zbar_image_create()) == NULL) {
		rc = AK_ENOMEM;
		goto done;
	}
	/* Debian builds zbar with D-Bus, and a scanner left as created tries to
	 * publish every result on the system bus (printing to stderr when there
	 * is none): a scanned code must go nowhere but to our callback. */
	zbar_image_scanner_request_dbus(scanner, 0);
	/* QR only: fewer decoders looking at untrusted pixels, and no
	 * stray one-dimensional barcode found in a photo's background. */
	if (zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_ENABLE, 0) != 0 ||
	    zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1) != 0) {
		rc = AK_EIO;
		goto done;
	}
	zbar_image_set_format(image, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(image, w, h);
	/* No cleanup handler: the pixels stay ours, zbar only reads them. */
	zbar_image_set_data(image, pix, (unsigned long)w * h, NULL);
	if (zbar_scan_image(scanner, image) < 0) {
		rc = AK_EIO;
		goto done;
	}
	for (sym = zbar_image_first_symbol(image); sym != NULL; sym = zbar_symbol_next(sym)) {
		if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
			continue;
		const char *data = zbar_symbol_get_data(sym);
		size_t len = zbar_symbol_get_data_length(sym);
		if (data == NULL)
			continue;
		count++;
		if ((rc = fn(ctx, data, len)) != 0)
			goto done;
	}
	rc = count;

done:
	if (image)
		zbar_image_destroy(image);
	if (scanner)
		zbar_image_scanner_destroy(scanner);
	return rc;
}

int scan_png_buffer(const uint8_t *buf, size_t len, scan_fn fn, void *ctx)
{
	struct scan_img img = {.buf = buf, .len = len};
	int rc;

	if (len > SCAN_FILE_MAX)
		return AK_ETOOBIG;
	if (len < 8 || png_sig_cmp(buf, 0, 8) != 0)
		return AK_EINVAL;
	img.png =
	    png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, scan_png_error, scan_png_warning);
	if (img.png == NULL)
		return AK_ENOMEM;
	if ((img.info = png_create_info_struct(img.png)) == NULL) {
		rc = AK_ENOMEM;
		goto done;
	}
	if ((rc = scan_decode(&img)) != 0)
		goto done;
	/* libpng's state is no longer needed; free it before zbar runs. */
	png_destroy_read_struct(&img.png, &img.info, NULL);
	free(img.rows);
	img.rows = NULL;
	rc = scan_zbar(img.pix, img.w, img.h, fn, ctx);

done:
	png_destroy_read_struct(&img.png, &img.info, NULL);
	free(img.rows);
	free(img.pix);
	return rc;
}

int scan_png_file(const char *path, scan_fn fn, void *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = util_read_file(path, SCAN_FILE_MAX, &buf, &len)) != 0)
		return rc;
	rc = scan_png_buffer((const uint8_t *)buf, len, fn, ctx);
	free(buf);
	return rc;
}
