/* write.h - the parts every write command shares (command layer). */
#ifndef ADPKI_WRITE_H
#define ADPKI_WRITE_H

#include <stdbool.h>

#include "cli.h"
#include "plan.h"

enum {
	WOPT_DRY_RUN = 900, WOPT_LDIF, WOPT_FORMAT, WOPT_EXIT_CODE, WOPT_UNDO_FILE, WOPT_NO_PROGRESS,
};

typedef struct {
	bool dry_run;
	bool json;
	bool exit_code;
	const char *ldif_path;
	const char *undo_path;
	bool no_progress;
} write_opts;

/* -n, --ldif, --format, --exit-code, --undo-file, --no-progress (ids WOPT_*). */
extern const cli_option write_plan_options[];
/* The same without --undo-file (publish removes no certificate). */
extern const cli_option write_plan_options_no_undo[];

adpki_result write_option(write_opts *w, int id, const char *arg, adpki_error *err);

/* Writes the LDIF if asked; on a dry run prints the plan; otherwise writes
 * the undo file (when the plan removes anything), applies the plan printing
 * each line as it goes, reads back, and prints the summary.  Returns the
 * exit status. */
int write_finish(cli_globals *g, conn *c, const plan *p, const write_opts *w);

#endif
