/*
 * bench_scan: codes read from a 1080p photo by ankang-verify's image path
 * (verifier/scan.c: scan_image_buffer, libjpeg to grey, then zbar's QR
 * reader), against bare zbar on the same image: the same JPEG decoded to
 * grey by libjpeg and handed to zbar_scan_image with the same settings,
 * with none of our code between. The ratio is what scan.c costs on top of
 * the two libraries (its bounds checks and copies). Also printed for
 * context: zbar alone on the decoded pixels, which is most of the time.
 *
 * The photo is made here, so the benchmark needs no file: a 1920x1080
 * grey scene (a lit gradient with noise, as a sensor gives it) with a
 * real credential's QR code drawn into it turned by 12 degrees at about
 * 7 pixels a module, blurred a little, then JPEG at quality 85, as a
 * phone saves a photo. Each side decodes it BENCH_ROUNDS (3) times for
 * BENCH_SECONDS (2), interleaved; medians. One core.
 *
 * Prints RESULT lines for scripts/bench. Nothing personal: the name is
 * made up and never printed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <sodium.h>
#include <zbar.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "crypto/cred_sign.h"
#include "crypto/key_secret.h"
#include "service/qr.h"
#include "verifier/scan.h"

#define W 1920
#define H 1080

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	uint64_t x;
	return v != NULL && util_parse_u64(v, strlen(v), &x) == 0 ? x : dflt;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The scene, the code drawn into it, into pix (W*H grey). */
static void draw(uint8_t *pix, const qr *q)
{
	int n = qr_size(q), quiet = 4;
	double scale = 7.0, a = 12.0 * M_PI / 180.0, ca = cos(a), sa = sin(a);
	double cx = W * 0.55, cy = H * 0.5, half = (n + 2 * quiet) * scale / 2;
	static uint8_t tmp[W * H];

	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			/* The code's plane: undo the turn about its centre. */
			double u = ca * (x - cx) + sa * (y - cy) + half;
			double v = -sa * (x - cx) + ca * (y - cy) + half;
			int base = 90 + (x * 80) / W + (y * 40) / H, g = base;
			if (u >= 0 && v >= 0 && u < 2 * half && v < 2 * half) {
				int mx = (int)(u / scale) - quiet, my = (int)(v / scale) - quiet;
				g = qr_module(q, mx, my) ? 30 : 215;
			}
			tmp[y * W + x] = (uint8_t)g;
		}
	/* A little blur (3x3 box) and sensor noise. */
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			int s = 0, k = 0;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++) {
					int xx = x + dx, yy = y + dy;
					if (xx >= 0 && yy >= 0 && xx < W && yy < H) {
						s += tmp[yy * W + xx];
						k++;
					}
				}
			s = s / k + (int)(randombytes_uniform(13)) - 6;
			pix[y * W + x] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
		}
}

static int to_jpeg(const uint8_t *pix, unsigned char **out, unsigned long *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;

	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, out, len);
	c.image_width = W;
	c.image_height = H;
	c.input_components = 1;
	c.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 85, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < H) {
		JSAMPROW row = (JSAMPROW)&pix[c.next_scanline * W];
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return 0;
}

/* The bare side: libjpeg to grey, then zbar, QR only. Codes found. */
static int bare_decode(const unsigned char *jpg, unsigned long len, uint8_t *pix,
		       zbar_image_scanner_t *scanner, int zbar_only)
{
	zbar_image_t *img;
	int found;

	if (!zbar_only) {
		struct jpeg_decompress_struct d;
		struct jpeg_error_mgr e;
		d.err = jpeg_std_error(&e);
		jpeg_create_decompress(&d);
		jpeg_mem_src(&d, jpg, len);
		jpeg_read_header(&d, TRUE);
		d.out_color_space = JCS_GRAYSCALE;
		jpeg_start_decompress(&d);
		while (d.output_scanline < d.output_height) {
			JSAMPROW row = (JSAMPROW)&pix[d.output_scanline * d.output_width];
			jpeg_read_scanlines(&d, &row, 1);
		}
		jpeg_finish_decompress(&d);
		jpeg_destroy_decompress(&d);
	}
	img = zbar_image_create();
	zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(img, W, H);
	zbar_image_set_data(img, pix, (unsigned long)W * H, NULL);
	found = zbar_scan_image(scanner, img);
	zbar_image_destroy(img);
	return found;
}

struct seen {
	const char *want;
	int ok;
};

static int on_code(void *ctx, const char *text, size_t len)
{
	struct seen *s = ctx;
	s->ok += strlen(s->want) == len && memcmp(s->want, text, len) == 0;
	return 0;
}

int main(void)
{
	uint64_t seconds = env_u64("BENCH_SECONDS", 2), rounds = env_u64("BENCH_ROUNDS", 3);
	key_signer *issuer = NULL;
	struct cred_claims cl;
	char text[CRED_TEXT_MAX + 1];
	qr *q = NULL;
	uint8_t *pix = malloc(W * H), *pix2 = malloc(W * H);
	unsigned char *jpg = NULL;
	unsigned long jlen = 0;
	zbar_image_scanner_t *scanner;
	double *r_ours, *r_bare, *r_zbar, *ratio;

	r_ours = calloc(rounds ? rounds : 1, sizeof(double));
	r_bare = calloc(rounds ? rounds : 1, sizeof(double));
	r_zbar = calloc(rounds ? rounds : 1, sizeof(double));
	ratio = calloc(rounds ? rounds : 1, sizeof(double));
	if (sodium_init() < 0 || !pix || !pix2 || !r_ours || !r_bare || !r_zbar || !ratio ||
	    rounds == 0 || key_signer_generate(&issuer, "bench.example/issuer") != 0)
		return 2;
	memset(&cl, 0, sizeof cl);
	snprintf(cl.iss, sizeof cl.iss, "CN-AH");
	snprintf(cl.name, sizeof cl.name, "Bench Resident");
	cl.iat = util_now();
	cl.exp = cl.iat + 300;
	randombytes_buf(cl.cti, sizeof cl.cti);
	if (cred_issue(text, sizeof text, &cl, issuer) < 0 ||
	    qr_encode(&q, text, strlen(text), QR_ECC_DEFAULT) != 0)
		return 2;
	draw(pix, q);
	to_jpeg(pix, &jpg, &jlen);
	scanner = zbar_image_scanner_create();
	zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);

	for (uint64_t r = 0; r < rounds; r++) {
		uint64_t n, t0, end, t;
		struct seen s = {text, 0};

		n = 0;
		t0 = util_mono_ns();
		end = t0 + seconds * 1000000000u;
		while ((t = util_mono_ns()) < end) {
			if (scan_image_buffer(jpg, jlen, on_code, &s) != 1)
				return 1;
			n++;
		}
		if (s.ok != (int)n) {
			fprintf(stderr, "bench_scan: ankang's path read the code wrong\n");
			return 1;
		}
		r_ours[r] = (double)n / ((double)(t - t0) / 1e9);

		n = 0;
		t0 = util_mono_ns();
		end = t0 + seconds * 1000000000u;
		while ((t = util_mono_ns()) < end) {
			if (bare_decode(jpg, jlen, pix2, scanner, 0) != 1)
				return 1;
			n++;
		}
		r_bare[r] = (double)n / ((double)(t - t0) / 1e9);
		ratio[r] = r_ours[r] / r_bare[r];

		n = 0;
		t0 = util_mono_ns();
		end = t0 + 1000000000u;
		while ((t = util_mono_ns()) < end) {
			if (bare_decode(jpg, jlen, pix2, scanner, 1) != 1)
				return 1;
			n++;
		}
		r_zbar[r] = (double)n / ((double)(t - t0) / 1e9);
	}
	qsort(r_ours, rounds, sizeof *r_ours, cmp_double);
	qsort(r_bare, rounds, sizeof *r_bare, cmp_double);
	qsort(r_zbar, rounds, sizeof *r_zbar, cmp_double);
	qsort(ratio, rounds, sizeof *ratio, cmp_double);
	printf("a 1920x1080 photo (JPEG, %lu bytes; a version %d code at ~7 px a module, turned"
	       " 12 degrees):\n",
	       jlen, qr_version(q));
	printf("  ankang-verify's image path (scan_image_buffer): %.1f codes/s\n",
	       r_ours[rounds / 2]);
	printf("  bare libjpeg + zbar, same image and settings:   %.1f codes/s\n",
	       r_bare[rounds / 2]);
	printf("  zbar alone on the decoded pixels (context):     %.1f codes/s\n",
	       r_zbar[rounds / 2]);
	printf("  ratio %.2f (median of %llu rounds of %llu s, one core)\n", ratio[rounds / 2],
	       (unsigned long long)rounds, (unsigned long long)seconds);
	printf("RESULT\tscan_photo_1080p_rate\t%.1f\tcodes/s\t%.1f\t%.2f\tcontext: against bare "
	       "libjpeg + zbar on the same photo (no target set; ~1 expected)\n",
	       r_ours[rounds / 2], r_bare[rounds / 2], ratio[rounds / 2]);
	zbar_image_scanner_destroy(scanner);
	qr_free(q);
	free(jpg);
	free(pix);
	free(pix2);
	free(r_ours);
	free(r_bare);
	free(r_zbar);
	free(ratio);
	key_signer_free(issuer);
	return 0;
}
