/* cmd-apply.c - `adpki apply [-n] FILE`: an LDIF plan or undo file, in the
 * subset adpki writes, checked whole before anything is sent. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ldif.h"
#include "store.h"
#include "write.h"

static const cli_option apply_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static adpki_result
apply_option(void *state, int id, const char *arg, adpki_error *err)
{
	return write_option(state, id, arg, err);
}

static int
run_apply(cli_globals *g, const cli_command *cmd, int argc, char **argv)
{
	write_opts w = { 0 };
	adpki_error err = { ADPKI_OK, "" };
	adpki_logger lg;
	snapshot *s = NULL;
	plan *p = NULL;
	conn *c = NULL;
	int first, rc = cli_parse(g, cmd, argc, argv, apply_option, &w, &first);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (argc - first != 1) {
		cli_usage_error(g, cmd, "give exactly one LDIF file");
		return ADPKI_ERR_USAGE;
	}
	lg = cli_logger(g);
	/* The file is checked against the forest's Public Key Services DN, and
	 * delete records are shown with the values they would take away. */
	if (cli_connect(g, &c, &err) != ADPKI_OK ||
	    ldif_read_file(argv[first], c->pks_dn, &p, &err) != ADPKI_OK ||
	    snapshot_read(c, CONT_MASK_ALL, &lg, &s, &err) != ADPKI_OK ||
	    plan_resolve_deletes(p, s, &err) != ADPKI_OK) {
		rc = cli_report(g, &err);
	} else {
		/* A delete of an object that is already gone reaches its end
		 * state without a write: applying a plan twice is harmless. */
		size_t gone = plan_drop_absent_deletes(p, s);
		if (gone > 0)
			fprintf(stderr, "adpki: %zu object%s to delete %s already gone\n", gone,
			        gone == 1 ? "" : "s", gone == 1 ? "is" : "are");
		rc = write_finish(g, c, p, &w);
	}
	plan_free(p);
	snapshot_free(s);
	cli_disconnect(g, c);
	return rc;
}

const cli_command cmd_apply = {
	.name = "apply",
	.args = "FILE",
	.summary = "apply an LDIF plan or undo file (review it with -n)",
	.description =
		"Applies an LDIF plan written by adpki (--ldif, undo files) or one in the same\n"
		"subset written by hand: adds of certificationAuthority objects, value-level\n"
		"add/delete of certificate attributes, deletes of objects, all under Public\n"
		"Key Services.  Anything else (replace:, other attributes, DNs elsewhere) is\n"
		"refused before anything is sent.  With -n it shows every certificate as\n"
		"decoded from the file's bytes, not from its comments.",
	.options = apply_options,
	.plan_options = write_plan_options,
	.needs_directory = true,
	.run = run_apply,
};
