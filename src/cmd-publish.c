/* cmd-publish.c - `adpki publish` and certutil's spelling `adpki dspublish`:
 * put CA certificates where Windows clients and phones look for them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "text.h"
#include "lint.h"
#include "render.h"
#include "store.h"
#include "write.h"

enum { OPT_AS = 1, OPT_NAME, OPT_FORCE, OPT_CERTUTIL_F };

static const cli_option publish_options[] = {
	{ "as", 0, "ROLE", "auto (default), rootca, subca, crossca or ntauth", OPT_AS },
	{ "name", 0, "NAME", "object name instead of the MS-WCCE name of the CN", OPT_NAME },
	{ "force", 0, NULL, "publish certificates that are not CAs (dangerous)", OPT_FORCE },
	{ NULL, 0, NULL, NULL, 0 },
};

static const cli_option dspublish_options[] = {
	{ "create", 'f', NULL, "accepted for certutil compatibility (objects are always created)",
	  OPT_CERTUTIL_F },
	{ NULL, 0, NULL, NULL, 0 },
};

typedef struct {
	plan_role role;
	const char *name;
	bool force;
	write_opts w;
} publish_state;

static adpki_result
publish_option(void *state, int id, const char *arg, adpki_error *err)
{
	publish_state *st = state;

	switch (id) {
	case OPT_AS: return plan_role_parse(arg, &st->role, err);
	case OPT_NAME:
		if (arg[0] == '\0' || strlen(arg) > 64)
			return adpki_fail(err, ADPKI_ERR_USAGE, "--name: give 1 to 64 characters");
		st->name = arg;
		return ADPKI_OK;
	case OPT_FORCE: st->force = true; return ADPKI_OK;
	case OPT_CERTUTIL_F: return ADPKI_OK;
	default: return write_option(&st->w, id, arg, err);
	}
}

/* Every file is read and checked before anything is written: one bad file
 * means nothing is written at all. */
static int
load_all(cli_globals *g, char **files, int count, cert_list *certs)
{
	int i, worst = 0;

	for (i = 0; i < count; i++) {
		adpki_error err = { ADPKI_OK, "" };
		if (cert_load_file(files[i], certs, &err) != ADPKI_OK)
			worst = cli_report(g, &err);
	}
	if (worst != 0)
		fprintf(stderr, "adpki: nothing was changed: fix or leave out the file%s above\n",
		        count > 1 ? "s" : "");
	return worst;
}

/* Warnings go to stderr and do not block; a non-CA is refused by the plan
 * unless --force, which is said loudly. */
static void
print_warnings(const cert_list *certs, bool force)
{
	time_t now = time(NULL);
	size_t i, k;

	for (i = 0; i < certs->count; i++) {
		const cert *c = certs->items[i];
		lint_warning w[LINT_MAX_WARNINGS];
		size_t n = lint_cert(c, now, w);
		char *subject = text_safe_line(c->subject, 0);

		for (k = 0; k < n; k++) {
			if (strcmp(w[k].code, "not-ca") == 0 && force)
				fprintf(stderr, "adpki: WARNING: --force: publishing %s (%s), which is NOT a "
				        "CA certificate, as an authority\n", c->sha1, subject ? subject : "");
			else if (strcmp(w[k].code, "not-ca") != 0)
				fprintf(stderr, "adpki: warning: %s %s: %s\n", c->sha1, subject ? subject : "",
				        w[k].text);
		}
		free(subject);
	}
}

/* Only the containers the roles write to are read: publishing to
 * NTAuthCertificates must not decode every CA object in the forest. */
static unsigned
containers_for(const plan_item *items, size_t count)
{
	unsigned mask = 0;
	size_t i;

	for (i = 0; i < count; i++) {
		switch (plan_role_resolve(items[i].role, items[i].cert)) {
		case PLAN_ROLE_ROOTCA: mask |= (1u << CONT_ROOTCA) | (1u << CONT_AIA); break;
		case PLAN_ROLE_NTAUTH: mask |= 1u << CONT_NTAUTH; break;
		default: mask |= 1u << CONT_AIA; break;
		}
	}
	return mask;
}

static int
publish_run(cli_globals *g, publish_state *st, char **files, int count)
{
	adpki_error err = { ADPKI_OK, "" };
	adpki_logger lg = cli_logger(g);
	cert_list certs = { NULL, 0 };
	plan_item *items = NULL;
	plan_publish_options popt = { st->force };
	snapshot *s = NULL;
	plan *p = NULL;
	conn *c = NULL;
	size_t i;
	int rc = load_all(g, files, count, &certs);

	if (rc != 0)
		goto out;
	if (certs.count == 0) {
		rc = cli_report(g, &(adpki_error){ ADPKI_ERR_CONFIG, "no certificates in the input" });
		goto out;
	}
	print_warnings(&certs, st->force);
	items = calloc(certs.count, sizeof *items);
	if (items == NULL) {
		rc = ADPKI_ERR_UNEXPECTED;
		goto out;
	}
	for (i = 0; i < certs.count; i++) {
		items[i].cert = certs.items[i];
		items[i].role = st->role;
		items[i].name = st->name;
	}
	if (cli_connect(g, &c, &err) != ADPKI_OK ||
	    snapshot_read(c, containers_for(items, certs.count), &lg, &s, &err) != ADPKI_OK ||
	    plan_publish(s, items, certs.count, &popt, &p, &err) != ADPKI_OK) {
		rc = cli_report(g, &err);
		goto out;
	}
	rc = write_finish(g, c, p, &st->w);
out:
	plan_free(p);
	snapshot_free(s);
	cli_disconnect(g, c);
	free(items);
	cert_list_clear(&certs);
	return rc;
}

static int
run_publish(cli_globals *g, const cli_command *cmd, int argc, char **argv)
{
	publish_state st = { PLAN_ROLE_AUTO, NULL, false, { 0 } };
	int first, rc = cli_parse(g, cmd, argc, argv, publish_option, &st, &first);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (first >= argc) {
		cli_usage_error(g, cmd, "no certificate file given");
		return ADPKI_ERR_USAGE;
	}
	return publish_run(g, &st, argv + first, argc - first);
}

/* certutil -dspublish [-f] CertFile [NTAuthCA|RootCA|SubCA|CrossCA] */
static int
run_dspublish(cli_globals *g, const cli_command *cmd, int argc, char **argv)
{
	publish_state st = { PLAN_ROLE_AUTO, NULL, false, { 0 } };
	adpki_error err = { ADPKI_OK, "" };
	int first, rc = cli_parse(g, cmd, argc, argv, publish_option, &st, &first);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (first >= argc || argc - first > 2) {
		cli_usage_error(g, cmd, "give one certificate file and optionally RootCA, SubCA, "
		                "NTAuthCA or CrossCA");
		return ADPKI_ERR_USAGE;
	}
	if (argc - first == 2 && plan_role_parse(argv[first + 1], &st.role, &err) != ADPKI_OK) {
		cli_usage_error(g, cmd, "%s", err.message);
		return ADPKI_ERR_USAGE;
	}
	return publish_run(g, &st, argv + first, 1);
}

const cli_command cmd_publish = {
	.name = "publish",
	.args = "FILE...",
	.summary = "publish CA certificates (certutil -dspublish)",
	.description =
		"Puts each certificate where its role says: rootca in CN=Certification\n"
		"Authorities and CN=AIA, subca in CN=AIA, crossca in CN=AIA's\n"
		"crossCertificatePair, ntauth in CN=NTAuthCertificates (created when absent).\n"
		"auto (the default): self-signed CAs are rootca, other CAs subca.  Every file\n"
		"is read and checked before anything is written; a certificate already in\n"
		"place is unchanged.  Non-CA certificates are refused without --force.",
	.options = publish_options,
	.plan_options = write_plan_options_no_undo,
	.needs_directory = true,
	.run = run_publish,
};

const cli_command cmd_dspublish = {
	.name = "dspublish",
	.args = "FILE [RootCA|SubCA|NTAuthCA|CrossCA]",
	.summary = "certutil's spelling: adpki dspublish [-f] FILE [ROLE]",
	.description =
		"The same as 'adpki publish --as=ROLE FILE', spelled as certutil -dspublish,\n"
		"for people and scripts coming from Windows.  -f is accepted; objects are\n"
		"always created as needed.",
	.options = dspublish_options,
	.plan_options = write_plan_options_no_undo,
	.needs_directory = true,
	.run = run_dspublish,
};
