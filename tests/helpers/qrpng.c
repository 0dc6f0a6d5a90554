/*
 * qrpng: a test helper that draws one QR code with service/qr.c and writes
 * it to standard output, so shell tests can hand the image to zbarimg.
 *
 *   qrpng [-f png|svg|text|ansi] [-s SCALE] [-e L|M|Q|H] STATUS TEXT
 *
 * STATUS is green, yellow or red. Exit status 0, or 2 with a message on
 * standard error (which never repeats TEXT). Test use only: it is not
 * installed and never sees a real credential's holder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "service/qr.h"

static int usage(void)
{
	fprintf(stderr, "usage: qrpng [-f png|svg|text|ansi] [-s SCALE] [-e L|M|Q|H] "
			"green|yellow|red TEXT\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *format = "png";
	unsigned scale = QR_SCALE_DEFAULT;
	enum qr_ecc ecc = QR_ECC_DEFAULT;
	int opt, status, rc;
	qr *q = NULL;
	void *out = NULL;
	size_t len = 0;

	while ((opt = getopt(argc, argv, "f:s:e:")) != -1) {
		switch (opt) {
		case 'f':
			format = optarg;
			break;
		case 's':
			scale = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'e':
			if (strcmp(optarg, "L") == 0)
				ecc = QR_ECC_L;
			else if (strcmp(optarg, "M") == 0)
				ecc = QR_ECC_M;
			else if (strcmp(optarg, "Q") == 0)
				ecc = QR_ECC_Q;
			else if (strcmp(optarg, "H") == 0)
				ecc = QR_ECC_H;
			else
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2)
		return usage();
	if (strcmp(argv[optind], "green") == 0)
		status = CRED_GREEN;
	else if (strcmp(argv[optind], "yellow") == 0)
		status = CRED_YELLOW;
	else if (strcmp(argv[optind], "red") == 0)
		status = CRED_RED;
	else
		return usage();

	if ((rc = qr_encode(&q, argv[optind + 1], strlen(argv[optind + 1]), ecc)) != 0)
		goto fail;
	if (strcmp(format, "png") == 0)
		rc = qr_render_png(q, status, scale, (uint8_t **)&out, &len);
	else if (strcmp(format, "svg") == 0)
		rc = qr_render_svg(q, status, (char **)&out, &len);
	else if (strcmp(format, "text") == 0)
		rc = qr_render_text(q, status, 0, (char **)&out, &len);
	else if (strcmp(format, "ansi") == 0)
		rc = qr_render_text(q, status, QR_TEXT_COLOUR, (char **)&out, &len);
	else
		rc = AK_EINVAL;
	if (rc != 0)
		goto fail;
	if (fwrite(out, 1, len, stdout) != len || fflush(stdout) != 0) {
		rc = AK_EIO;
		goto fail;
	}
	free(out);
	qr_free(q);
	return 0;

fail:
	fprintf(stderr, "qrpng: %s\n", ak_strerror(rc));
	free(out);
	qr_free(q);
	return 2;
}
