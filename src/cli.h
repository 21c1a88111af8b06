/* cli.h - the command layer: option tables (which also produce --help),
 * global options accepted before or after the command name, messages, and
 * the mapping from results to exit codes.  Only this layer prints. */
#ifndef ADPKI_CLI_H
#define ADPKI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "conn.h"
#include "result.h"

/* One option: drives getopt_long and --help alike. */
typedef struct {
	const char *long_name;
	int short_name;        /* 0 when none */
	const char *arg_name;  /* NULL: takes no argument */
	const char *help;
	int id;                /* passed to the command's handler */
} cli_option;

typedef struct {
	conn_options conn;
	int verbose;
	const char *program;
} cli_globals;

typedef struct cli_command cli_command;

/* Handler for command-specific options; returns ADPKI_OK or a usage error. */
typedef adpki_result (*cli_option_fn)(void *state, int id, const char *arg, adpki_error *err);

struct cli_command {
	const char *name;
	const char *args;        /* synopsis after the options, e.g. "FILE..." */
	const char *summary;     /* one line */
	const char *description; /* a paragraph for --help */
	const cli_option *options;  /* terminated by an entry with long_name NULL */
	const cli_option *plan_options;  /* shared write options (write.h), or NULL */
	bool needs_directory;    /* shows the connection options in --help */
	int (*run)(cli_globals *g, const cli_command *cmd, int argc, char **argv);
};

/* Parses argv (after the command name) with the global and the command's
 * options.  On success *first_arg is the index of the first positional
 * argument.  Prints --help and returns -1 when asked; on a usage error
 * prints the message and returns ADPKI_ERR_USAGE. */
int cli_parse(cli_globals *g, const cli_command *cmd, int argc, char **argv,
              cli_option_fn on_option, void *state, int *first_arg);

/* Parses the global options that come before the command name (stops at
 * the first non-option).  Returns the index of the command name, or -1
 * after printing a usage error.  Handles --version itself. */
int cli_parse_leading_globals(cli_globals *g, int argc, char **argv, bool *help);

/* Prints "adpki: <message>" for an error, with a hint for usage errors;
 * returns the exit code for err->code. */
int cli_report(const cli_globals *g, const adpki_error *err);

void cli_usage_error(const cli_globals *g, const cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The logger that prints to stderr when -v is given. */
adpki_logger cli_logger(cli_globals *g);

void cli_print_command_help(FILE *out, const cli_command *cmd);

/* Connects with the global options (discovery, bind, rootDSE). */
adpki_result cli_connect(cli_globals *g, conn **out, adpki_error *err);

/* Closes c; with --verbose first prints the LDAP operations and round
 * trips it took ("adpki: LDAP: 2 searches, 500 writes; 12 round trips
 * after the bind"). */
void cli_disconnect(cli_globals *g, conn *c);

/* The commands. */
extern const cli_command cmd_show;
extern const cli_command cmd_list;
extern const cli_command cmd_publish;
extern const cli_command cmd_dspublish;
extern const cli_command cmd_remove;
extern const cli_command cmd_prune;
extern const cli_command cmd_apply;

#endif
