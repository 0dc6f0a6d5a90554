/*
 * webfiles: the pages of service/web/, compiled in by scripts/embed.
 * The table ends with an entry whose path is NULL.
 */
#ifndef ANKANG_WEBFILES_H
#define ANKANG_WEBFILES_H

#include <stddef.h>

struct web_file {
	const char *path; /* "/index.html" */
	const char *type; /* Content-Type */
	const char *data;
	size_t len;
};

extern const struct web_file web_files[];

#endif
