/* cmd-list.c - `adpki list`: what is published under Public Key Services. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "render.h"

enum { OPT_FORMAT = 1, OPT_CONTAINER };

static const cli_option list_options[] = {
	{ "format", 0, "FORMAT", "table (default), json or pem", OPT_FORMAT },
	{ "container", 0, "LIST", "only these: rootca,aia,ntauth,cdp,kra,enrollment", OPT_CONTAINER },
	{ NULL, 0, NULL, NULL, 0 },
};

typedef struct {
	const char *format;
	unsigned mask;
} list_state;

static adpki_result
list_option(void *state, int id, const char *arg, adpki_error *err)
{
	list_state *st = state;

	switch (id) {
	case OPT_FORMAT:
		if (strcmp(arg, "table") != 0 && strcmp(arg, "json") != 0 && strcmp(arg, "pem") != 0)
			return adpki_fail(err, ADPKI_ERR_USAGE, "--format=%s: use table, json or pem", arg);
		st->format = arg;
		return ADPKI_OK;
	case OPT_CONTAINER:
		return container_parse_list(arg, &st->mask, err);
	default:
		return ADPKI_OK;
	}
}

static adpki_result
print_snapshot(const list_state *st, const conn *c, const snapshot *s, adpki_error *err)
{
	time_t now = time(NULL);

	if (strcmp(st->format, "json") == 0)
		return render_list_json(stdout, s, c->server, c->config_nc, now, err);
	if (strcmp(st->format, "pem") == 0)
		return render_list_pem(stdout, s, err);
	render_list_table(stdout, s, now);
	return ADPKI_OK;
}

static int
run_list(cli_globals *g, const cli_command *cmd, int argc, char **argv)
{
	list_state st = { "table", CONT_MASK_ALL };
	adpki_error err = { ADPKI_OK, "" };
	adpki_logger lg = { NULL, NULL };
	conn *c = NULL;
	snapshot *s = NULL;
	int first, rc;

	rc = cli_parse(g, cmd, argc, argv, list_option, &st, &first);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (first < argc) {
		cli_usage_error(g, cmd, "unexpected argument '%s'", argv[first]);
		return ADPKI_ERR_USAGE;
	}
	lg = cli_logger(g);
	if (cli_connect(g, &c, &err) != ADPKI_OK)
		return cli_report(g, &err);
	rc = snapshot_read(c, st.mask, &lg, &s, &err);
	if (rc == ADPKI_OK)
		rc = print_snapshot(&st, c, s, &err);
	if (rc != ADPKI_OK)
		rc = cli_report(g, &err);
	snapshot_free(s);
	cli_disconnect(g, c);
	return rc;
}

const cli_command cmd_list = {
	.name = "list",
	.args = "",
	.summary = "list the certificates published under Public Key Services",
	.description =
		"Reads CN=Certification Authorities, CN=AIA (cACertificate and\n"
		"crossCertificatePair), CN=NTAuthCertificates, CN=CDP (CRLs), CN=KRA\n"
		"(userCertificate) and CN=Enrollment Services with one paged subtree search,\n"
		"and shows each certificate with its container, object, SHA-1, expiry and\n"
		"warnings.  A missing object (no CN=NTAuthCertificates in a fresh forest) is\n"
		"shown as absent.  --format=pem exports the certificates.",
	.options = list_options,
	.needs_directory = true,
	.run = run_list,
};
