/*
 * photo: a test helper that makes, from code PNGs, the kind of image a
 * checkpoint's phone takes of them, so `ankang-verify --image` can be
 * tested against it:
 *
 *   photo [-r DEGREES] [-s SCALE] [-n NOISE] [-q QUALITY] [-S SEED] OUT IN.png...
 *
 * The inputs are laid side by side on white paper, then the sheet is
 * scaled by SCALE (0.2 to 4), turned by DEGREES about its centre (bilinear
 * sampling) onto a grey background with a light gradient, lit with a warm
 * colour cast, and given uniform noise of +-NOISE grey levels (0 to 120)
 * from a fixed pseudo-random sequence (SEED), so the same arguments give
 * the same image. OUT ending in .jpg or .jpeg is written as a JPEG of
 * QUALITY (10 to 100, default 75), anything else as a PNG.
 *
 * Exit 0, or 2 with a message on standard error. Test use only: it never
 * sees a real code's holder, and reads only the images it is given.
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#define PHOTO_INPUTS_MAX 8
#define PHOTO_DIM_MAX    6000
#define PHOTO_MARGIN     40

struct grey {
	uint32_t w, h;
	uint8_t *p;
};

static int die(const char *msg)
{
	fprintf(stderr, "photo: %s\n", msg);
	return 2;
}

static int read_png(const char *path, struct grey *g)
{
	png_image img;

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, path))
		return -1;
	img.format = PNG_FORMAT_GRAY;
	if (img.width == 0 || img.height == 0 || img.width > PHOTO_DIM_MAX ||
	    img.height > PHOTO_DIM_MAX || (g->p = malloc((size_t)img.width * img.height)) == NULL) {
		png_image_free(&img);
		return -1;
	}
	g->w = img.width;
	g->h = img.height;
	/* Transparency over white, as a page shows it. */
	png_color white = {255, 255, 255};
	if (!png_image_finish_read(&img, &white, g->p, 0, NULL)) {
		free(g->p);
		return -1;
	}
	return 0;
}

/* A small xorshift generator: the same SEED gives the same photo. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static double sample(const struct grey *g, double x, double y)
{
	/* Outside the sheet: the grey of the table it lies on. */
	if (x < 0 || y < 0 || x > g->w - 1 || y > g->h - 1)
		return -1;
	uint32_t x0 = (uint32_t)x, y0 = (uint32_t)y;
	uint32_t x1 = x0 + 1 < g->w ? x0 + 1 : x0, y1 = y0 + 1 < g->h ? y0 + 1 : y0;
	double fx = x - x0, fy = y - y0;
	double a = g->p[(size_t)y0 * g->w + x0], b = g->p[(size_t)y0 * g->w + x1];
	double c = g->p[(size_t)y1 * g->w + x0], d = g->p[(size_t)y1 * g->w + x1];
	return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
}

static int write_png(const char *path, const uint8_t *rgb, uint32_t w, uint32_t h)
{
	png_image img;

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = w;
	img.height = h;
	img.format = PNG_FORMAT_RGB;
	return png_image_write_to_file(&img, path, 0, rgb, 0, NULL) ? 0 : -1;
}

static int write_jpeg(const char *path, const uint8_t *rgb, uint32_t w, uint32_t h, int q)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, q, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < h) {
		JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * w * 3);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	double deg = 0, scale = 1;
	int noise = 0, quality = 75, opt, n = 0, rc = 2;
	uint32_t seed = 2026;
	struct grey in[PHOTO_INPUTS_MAX], sheet = {0, 0, NULL};
	uint8_t *rgb = NULL;
	const char *out;

	while ((opt = getopt(argc, argv, "r:s:n:q:S:")) != -1) {
		switch (opt) {
		case 'r':
			deg = atof(optarg);
			break;
		case 's':
			scale = atof(optarg);
			break;
		case 'n':
			noise = atoi(optarg);
			break;
		case 'q':
			quality = atoi(optarg);
			break;
		case 'S':
			seed = (uint32_t)strtoul(optarg, NULL, 10) | 1u;
			break;
		default:
			return die("usage: photo [-r DEG] [-s SCALE] [-n NOISE] [-q QUALITY] "
				   "[-S SEED] OUT IN.png...");
		}
	}
	if (argc - optind < 2 || argc - optind - 1 > PHOTO_INPUTS_MAX)
		return die("give OUT and 1 to 8 input PNGs");
	if (scale < 0.2 || scale > 4 || noise < 0 || noise > 120 || quality < 10 || quality > 100)
		return die("SCALE 0.2 to 4, NOISE 0 to 120, QUALITY 10 to 100");
	out = argv[optind++];

	/* The sheet: the inputs side by side on white, with margins. */
	sheet.w = PHOTO_MARGIN;
	for (; optind < argc; optind++, n++) {
		if (read_png(argv[optind], &in[n]) != 0) {
			die("an input is not a readable PNG");
			goto done;
		}
		sheet.w += in[n].w + PHOTO_MARGIN;
		if (in[n].h + 2 * PHOTO_MARGIN > sheet.h)
			sheet.h = in[n].h + 2 * PHOTO_MARGIN;
	}
	assert(n > 0); /* the argument check above leaves 1 to 8 inputs */
	if (sheet.w > PHOTO_DIM_MAX || (sheet.p = malloc((size_t)sheet.w * sheet.h)) == NULL) {
		die("the sheet is too large");
		goto done;
	}
	memset(sheet.p, 255, (size_t)sheet.w * sheet.h);
	for (int i = 0, x = PHOTO_MARGIN; i < n; x += (int)in[i].w + PHOTO_MARGIN, i++)
		for (uint32_t y = 0; y < in[i].h; y++)
			memcpy(sheet.p + (size_t)(y + PHOTO_MARGIN) * sheet.w + x,
			       in[i].p + (size_t)y * in[i].w, in[i].w);

	/* The photo: the sheet's turned and scaled bounding box, plus a border. */
	double a = deg * M_PI / 180, ca = cos(a), sa = sin(a);
	double sw = sheet.w * scale, sh = sheet.h * scale;
	uint32_t w = (uint32_t)(fabs(sw * ca) + fabs(sh * sa)) + 60;
	uint32_t h = (uint32_t)(fabs(sw * sa) + fabs(sh * ca)) + 60;
	if (w > PHOTO_DIM_MAX || h > PHOTO_DIM_MAX || (rgb = malloc((size_t)w * h * 3)) == NULL) {
		die("the photo is too large");
		goto done;
	}
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			/* Back from the photo to the sheet: untranslate, unrotate, unscale. */
			double dx = x - w / 2.0, dy = y - h / 2.0;
			double sx = (dx * ca + dy * sa) / scale + sheet.w / 2.0;
			double sy = (-dx * sa + dy * ca) / scale + sheet.h / 2.0;
			double v = sample(&sheet, sx, sy);
			if (v < 0)
				v = 90 + 40.0 * y / h; /* the table, lit from below */
			/* Lighter at the top left, as from a lamp. */
			v = v * (0.85 + 0.15 * (1.0 - (double)(x + y) / (w + h)));
			if (noise > 0)
				v += (double)(rnd(&seed) % (2u * noise + 1)) - noise;
			v = v < 0 ? 0 : v > 255 ? 255 : v;
			uint8_t *p = rgb + ((size_t)y * w + x) * 3;
			p[0] = (uint8_t)v;
			p[1] = (uint8_t)(v * 0.95);
			p[2] = (uint8_t)(v * 0.82);
		}
	}
	size_t ol = strlen(out);
	int jpeg = (ol > 4 && strcmp(out + ol - 4, ".jpg") == 0) ||
		   (ol > 5 && strcmp(out + ol - 5, ".jpeg") == 0);
	if ((jpeg ? write_jpeg(out, rgb, w, h, quality) : write_png(out, rgb, w, h)) != 0) {
		die("cannot write the output");
		goto done;
	}
	rc = 0;
done:
	for (int i = 0; i < n; i++)
		free(in[i].p);
	free(sheet.p);
	free(rgb);
	return rc;
}
