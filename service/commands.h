/*
 * commands: ankangd's subcommands, one file each (cmd_<name>.c). Each takes
 * the arguments after its name (argv[0] is the subcommand) and returns an
 * exit status as common/cli.h defines them.
 */
#ifndef ANKANG_COMMANDS_H
#define ANKANG_COMMANDS_H

int cmd_init(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_account(int argc, char **argv);
int cmd_keys(int argc, char **argv);

#endif
