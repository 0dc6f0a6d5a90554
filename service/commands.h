/*
 * commands: ankangd's subcommands, one file each (cmd_<name>.c), and what
 * they share (commands.c). Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns an exit status as common/cli.h
 * defines them.
 */
#ifndef ANKANG_COMMANDS_H
#define ANKANG_COMMANDS_H

#include <limits.h>

#include "service/datadir.h"

int cmd_init(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_account(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_migrate(int argc, char **argv);

/*
 * Opens the data folder at path for command cmd (datadir_open with keys
 * and kek_path, which may be NULL) and, when db is not NULL, puts the path
 * of its database (DATADIR_DB) in db. CLI_OK, or CLI_USAGE with *d NULL
 * after printing "cmd: path: <file at fault>: <error>".
 */
int cmd_open_datadir(struct datadir **d, const char *cmd, const char *path, unsigned keys,
		     const char *kek_path, char db[PATH_MAX]);

#endif
