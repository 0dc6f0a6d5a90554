/*
 * commands: what ankangd's subcommands share on their main() paths (see
 * commands.h): opening the data folder, with one form of error message
 * for every command. Unlike the library code below it, this prints
 * (cli_error) and answers with exit statuses.
 */
#include "service/commands.h"

#include <string.h>

#include "common/cli.h"
#include "common/util.h"

int cmd_open_datadir(struct datadir **d, const char *cmd, const char *path, unsigned keys,
		     const char *kek_path, char db[PATH_MAX])
{
	char why[PATH_MAX + 160];

	*d = NULL;
	if (datadir_open(d, path, keys, kek_path, why, sizeof why) != 0) {
		cli_error("%s: %s: %s", cmd, path, why);
		return CLI_USAGE;
	}
	if (db != NULL && datadir_db(*d, db, PATH_MAX) != 0) {
		cli_error("%s: %s: path too long", cmd, path);
		datadir_close(*d);
		*d = NULL;
		return CLI_USAGE;
	}
	return CLI_OK;
}
