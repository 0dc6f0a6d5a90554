/*
 * scan: PNG (libpng) or JPEG (libjpeg) -> 8-bit grey -> zbar -> each QR
 * code's text. See scan.h for the contract.
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
 *
 * JPEG. libjpeg is asked for grey (JCS_GRAYSCALE: it converts from YCbCr
 * or CMYK itself) from a memory source, which ends a truncated file with
 * an EOI of its own and a warning, never a read past the buffer. The
 * header is read first and the dimensions checked against the same
 * limits before decompression allocates anything for pixels; APPn
 * markers (Exif, ICC) are skipped unread, as libjpeg does unless asked
 * to save them. A progressive file may hold any number of scans, each a
 * pass over the whole image: more than SCAN_JPEG_PASSES_MAX is refused
 * from the progress monitor, so a small file cannot cost minutes. Errors
 * end in a longjmp from the error manager, under the same rule as
 * libpng's: only scan_jpeg_decode calls setjmp, and it touches nothing
 * but the struct its caller owns.
 */
#include "verifier/scan.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h> /* jpeglib.h needs FILE */

#include <jpeglib.h>
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

/* ------------------------------------------------------------- JPEG */

/* A progressive JPEG's passes over the image: real files use about 10. */
#define SCAN_JPEG_PASSES_MAX 64

struct scan_jpeg {
	struct jpeg_decompress_struct cinfo;
	struct jpeg_error_mgr err;
	struct jpeg_progress_mgr progress;
	jmp_buf jmp;
	int created;  /* cinfo needs jpeg_destroy_decompress */
	int rc;       /* why the longjmp came, when not libjpeg's own error */
	uint8_t *pix; /* w*h grey bytes after scan_jpeg_decode */
	uint32_t w, h;
};

static void scan_jpeg_error(j_common_ptr cinfo)
{
	struct scan_jpeg *j = (struct scan_jpeg *)cinfo->client_data;

	longjmp(j->jmp, 1);
}

static void scan_jpeg_message(j_common_ptr cinfo)
{
	(void)cinfo;
}

static void scan_jpeg_progress(j_common_ptr cinfo)
{
	struct scan_jpeg *j = (struct scan_jpeg *)cinfo->client_data;

	if (j->cinfo.input_scan_number > SCAN_JPEG_PASSES_MAX) {
		j->rc = AK_ETOOBIG;
		longjmp(j->jmp, 1);
	}
}

/*
 * Decodes buf[0..len) into j->pix. Returns 0, AK_EINVAL (libjpeg refused
 * the data), AK_ETOOBIG or AK_ENOMEM; on error the caller frees j->pix
 * and destroys j->cinfo.
 */
static int scan_jpeg_decode(struct scan_jpeg *j, const uint8_t *buf, size_t len)
{
	if (setjmp(j->jmp))
		return j->rc != 0 ? j->rc : AK_EINVAL;

	jpeg_create_decompress(&j->cinfo);
	j->created = 1;
	j->cinfo.client_data = j;
	j->cinfo.progress = &j->progress;
	jpeg_mem_src(&j->cinfo, buf, (unsigned long)len);
	if (jpeg_read_header(&j->cinfo, TRUE) != JPEG_HEADER_OK)
		return AK_EINVAL;
	j->w = j->cinfo.image_width;
	j->h = j->cinfo.image_height;
	if (j->w == 0 || j->h == 0)
		return AK_EINVAL;
	if (j->w > SCAN_DIM_MAX || j->h > SCAN_DIM_MAX || (uint64_t)j->w * j->h > SCAN_PIXELS_MAX)
		return AK_ETOOBIG;
	j->cinfo.out_color_space = JCS_GRAYSCALE;
	jpeg_start_decompress(&j->cinfo);
	if (j->cinfo.output_components != 1 || j->cinfo.output_width != j->w ||
	    j->cinfo.output_height != j->h)
		return AK_EINVAL; /* a conversion did not do what it says */
	if ((j->pix = malloc((size_t)j->w * j->h)) == NULL)
		return AK_ENOMEM;
	while (j->cinfo.output_scanline < j->h) {
		JSAMPROW row = j->pix + (size_t)j->cinfo.output_scanline * j->w;
		if (jpeg_read_scanlines(&j->cinfo, &row, 1) != 1)
			return AK_EINVAL;
	}
	jpeg_finish_decompress(&j->cinfo);
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

/* The widest smoothing tried when the image as it is holds no code. */
#define SCAN_SMOOTH_MAX 2u

/*
 * Box blur of radius r into out (w*h bytes): each pixel the mean of its
 * (2r+1)^2 neighbourhood, clipped at the edges. Separable: 2(2r+1)
 * additions a pixel.
 */
static int scan_blur(const uint8_t *pix, uint8_t *out, uint32_t w, uint32_t h, uint32_t r)
{
	uint16_t *tmp = malloc(sizeof *tmp * (size_t)w * h);

	if (tmp == NULL)
		return AK_ENOMEM;
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *row = pix + (size_t)y * w;
		for (uint32_t x = 0; x < w; x++) {
			uint32_t lo = x >= r ? x - r : 0, hi = x + r < w ? x + r : w - 1, sum = 0;
			for (uint32_t i = lo; i <= hi; i++)
				sum += row[i];
			tmp[(size_t)y * w + x] = (uint16_t)(sum / (hi - lo + 1));
		}
	}
	for (uint32_t y = 0; y < h; y++) {
		uint32_t lo = y >= r ? y - r : 0, hi = y + r < h ? y + r : h - 1;
		for (uint32_t x = 0; x < w; x++) {
			uint32_t sum = 0;
			for (uint32_t i = lo; i <= hi; i++)
				sum += tmp[(size_t)i * w + x];
			out[(size_t)y * w + x] = (uint8_t)(sum / (hi - lo + 1));
		}
	}
	free(tmp);
	return 0;
}

/*
 * zbar over the image as it is, and when it finds no code there, over it
 * smoothed (radius 1, then 2): a phone's photo carries sensor noise that
 * breaks zbar's edge detection long before it hides the code from an eye.
 * A pass that found a code is never followed by another, so no code is
 * reported twice.
 */
static int scan_grey(const uint8_t *pix, uint32_t w, uint32_t h, scan_fn fn, void *ctx)
{
	uint8_t *smooth;
	int rc = scan_zbar(pix, w, h, fn, ctx);

	if (rc != 0)
		return rc;
	if ((smooth = malloc((size_t)w * h)) == NULL)
		return AK_ENOMEM;
	for (uint32_t r = 1; r <= SCAN_SMOOTH_MAX && rc == 0; r++)
		if ((rc = scan_blur(pix, smooth, w, h, r)) == 0)
			rc = scan_zbar(smooth, w, h, fn, ctx);
	free(smooth);
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
	rc = scan_grey(img.pix, img.w, img.h, fn, ctx);

done:
	png_destroy_read_struct(&img.png, &img.info, NULL);
	free(img.rows);
	free(img.pix);
	return rc;
}

int scan_jpeg_buffer(const uint8_t *buf, size_t len, scan_fn fn, void *ctx)
{
	struct scan_jpeg *j;
	int rc;

	if (len > SCAN_FILE_MAX)
		return AK_ETOOBIG;
	if (len < 3 || buf[0] != 0xff || buf[1] != 0xd8 || buf[2] != 0xff)
		return AK_EINVAL;
	/* On the heap: the jmp_buf and libjpeg's state are large. */
	if ((j = calloc(1, sizeof *j)) == NULL)
		return AK_ENOMEM;
	j->cinfo.err = jpeg_std_error(&j->err);
	j->err.error_exit = scan_jpeg_error;
	j->err.output_message = scan_jpeg_message;
	j->progress.progress_monitor = scan_jpeg_progress;
	rc = scan_jpeg_decode(j, buf, len);
	if (j->created)
		jpeg_destroy_decompress(&j->cinfo);
	if (rc == 0)
		rc = scan_grey(j->pix, j->w, j->h, fn, ctx);
	free(j->pix);
	free(j);
	return rc;
}

int scan_image_buffer(const uint8_t *buf, size_t len, scan_fn fn, void *ctx)
{
	if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
		return scan_jpeg_buffer(buf, len, fn, ctx);
	return scan_png_buffer(buf, len, fn, ctx);
}

int scan_image_file(const char *path, scan_fn fn, void *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = util_read_file(path, SCAN_FILE_MAX, &buf, &len)) != 0)
		return rc;
	rc = scan_image_buffer((const uint8_t *)buf, len, fn, ctx);
	free(buf);
	return rc;
}
