/* cmd-remove.c - `adpki remove` (exactly these certificates) and
 * `adpki prune` (scripted cleanup by expiry or CA-ness), on the same plan,
 * undo file and safety. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "store.h"
#include "write.h"

/* Where remove looks by default: every container that holds certificates
 * adpki manages (never Enrollment Services, which AD CS owns). */
#define REMOVABLE_CONTAINERS \
	((1u << CONT_ROOTCA) | (1u << CONT_AIA) | (1u << CONT_NTAUTH) | (1u << CONT_KRA))

enum { OPT_FROM = 1, OPT_KEEP_EMPTY, OPT_EXPIRED, OPT_EXPIRED_BEFORE, OPT_NOT_CA };

static const cli_option remove_options[] = {
	{ "from", 0, "LIST", "only these containers: rootca,aia,ntauth,kra", OPT_FROM },
	{ "keep-empty", 0, NULL, "keep objects that lose their last certificate", OPT_KEEP_EMPTY },
	{ NULL, 0, NULL, NULL, 0 },
};

static const cli_option prune_options[] = {
	{ "from", 0, "LIST", "only these containers: rootca,aia,ntauth", OPT_FROM },
	{ "expired", 0, NULL, "remove certificates that have expired", OPT_EXPIRED },
	{ "expired-before", 0, "DATE", "remove those expiring before DATE (YYYY-MM-DD)",
	  OPT_EXPIRED_BEFORE },
	{ "not-ca", 0, NULL, "remove certificates that are not CAs", OPT_NOT_CA },
	{ "keep-empty", 0, NULL, "keep objects that lose their last certificate", OPT_KEEP_EMPTY },
	{ NULL, 0, NULL, NULL, 0 },
};

typedef struct {
	unsigned mask;
	bool keep_empty;
	plan_prune_criteria crit;
	bool any_criterion;
	write_opts w;
} remove_state;

static adpki_result
remove_option(void *state, int id, const char *arg, adpki_error *err)
{
	remove_state *st = state;

	switch (id) {
	case OPT_FROM:
		if (container_parse_list(arg, &st->mask, err) != ADPKI_OK)
			return err->code;
		/* Enrollment Services objects belong to AD CS (the CA's own
		 * certificate for enrollment); CDP holds CRLs, not certificates. */
		if (st->mask & ((1u << CONT_ENROLLMENT) | (1u << CONT_CDP)))
			return adpki_fail(err, ADPKI_ERR_USAGE, "--from: adpki removes certificates from "
			                  "rootca, aia, ntauth and kra only (Enrollment Services belongs "
			                  "to AD CS; CDP holds CRLs)");
		return ADPKI_OK;
	case OPT_KEEP_EMPTY: st->keep_empty = true; return ADPKI_OK;
	case OPT_EXPIRED:
		st->crit.expired = true;
		st->crit.expired_before = time(NULL);
		st->any_criterion = true;
		return ADPKI_OK;
	case OPT_EXPIRED_BEFORE:
		st->crit.expired = true;
		st->any_criterion = true;
		return plan_parse_date(arg, &st->crit.expired_before, err);
	case OPT_NOT_CA:
		st->crit.not_ca = true;
		st->any_criterion = true;
		return ADPKI_OK;
	default: return write_option(&st->w, id, arg, err);
	}
}

/* CERT is a certificate file, or a thumbprint as certutil or the Windows
 * certificate dialog shows it.  An existing file wins. */
static adpki_result
collect_thumbprints(char **args, int count, char ***out, size_t *n, adpki_error *err)
{
	cert_list certs = { NULL, 0 };
	char **tp = NULL;
	size_t have = 0, i;
	int a;

	for (a = 0; a < count; a++) {
		struct stat sb;
		char norm[80];
		size_t before = certs.count;

		if (stat(args[a], &sb) == 0) {
			if (cert_load_file(args[a], &certs, err) != ADPKI_OK)
				goto fail;
		} else if (plan_parse_thumbprint(args[a], norm, sizeof norm, err) != ADPKI_OK) {
			adpki_fail(err, ADPKI_ERR_USAGE, "'%.100s' is neither a certificate file nor a "
			           "SHA-1 or SHA-256 thumbprint (40 or 64 hex digits)", args[a]);
			goto fail;
		} else {
			char **grown = realloc(tp, (have + 2) * sizeof *tp);
			if (grown == NULL)
				goto oom;
			tp = grown;
			if ((tp[have] = strdup(norm)) == NULL)
				goto oom;
			tp[++have] = NULL;
		}
		for (i = before; i < certs.count; i++) {
			char **grown = realloc(tp, (have + 2) * sizeof *tp);
			if (grown == NULL)
				goto oom;
			tp = grown;
			if ((tp[have] = strdup(certs.items[i]->sha1)) == NULL)
				goto oom;
			tp[++have] = NULL;
		}
	}
	cert_list_clear(&certs);
	*out = tp;
	*n = have;
	return ADPKI_OK;
oom:
	adpki_fail_oom(err);
fail:
	cert_list_clear(&certs);
	for (i = 0; i < have; i++)
		free(tp[i]);
	free(tp);
	return err->code;
}

static void
report_not_found(const plan *p)
{
	size_t i;

	for (i = 0; i < p->not_found_count; i++)
		fprintf(stderr, "adpki: %s is not published in the containers searched\n",
		        p->not_found[i]);
}

static int
execute(cli_globals *g, remove_state *st, char **tp, size_t ntp, bool prune)
{
	adpki_error err = { ADPKI_OK, "" };
	adpki_logger lg = cli_logger(g);
	snapshot *s = NULL;
	plan *p = NULL;
	conn *c = NULL;
	int rc;

	if (cli_connect(g, &c, &err) != ADPKI_OK ||
	    snapshot_read(c, st->mask, &lg, &s, &err) != ADPKI_OK ||
	    (prune ? plan_prune(s, &st->crit, st->mask, st->keep_empty, &p, &err)
	           : plan_remove(s, (const char *const *)tp, ntp, st->mask, st->keep_empty, &p,
	                         &err)) != ADPKI_OK) {
		rc = cli_report(g, &err);
	} else {
		report_not_found(p);
		rc = write_finish(g, c, p, &st->w);
	}
	plan_free(p);
	snapshot_free(s);
	cli_disconnect(g, c);
	return rc;
}

static int
run_remove(cli_globals *g, const cli_command *cmd, int argc, char **argv)
{
	remove_state st = { .mask = REMOVABLE_CONTAINERS };
	adpki_error err = { ADPKI_OK, "" };
	char **tp = NULL;
	size_t ntp = 0, i;
	int first, rc = cli_parse(g, cmd, argc, argv, remove_option, &st, &first);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (first >= argc) {
		cli_usage_error(g, cmd, "give the certificates to remove: files or thumbprints");
		return ADPKI_ERR_USAGE;
	}
	if (collect_thumbprints(argv + first, argc - first, &tp, &ntp, &err) != ADPKI_OK)
		return cli_report(g, &err);
	rc = execute(g, &st, tp, ntp, false);
	for (i = 0; i < ntp; i++)
		free(tp[i]);
	free(tp);
	return rc;
}

static int
run_prune(cli_globals *g, const cli_command *cmd, int argc, char **argv)
{
	remove_state st = { .mask = (1u << CONT_ROOTCA) | (1u << CONT_AIA) | (1u << CONT_NTAUTH) };
	int first, rc = cli_parse(g, cmd, argc, argv, remove_option, &st, &first);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (first < argc) {
		cli_usage_error(g, cmd, "unexpected argument '%s'", argv[first]);
		return ADPKI_ERR_USAGE;
	}
	if (!st.any_criterion) {
		cli_usage_error(g, cmd, "say what to prune: --expired, --expired-before=DATE or --not-ca");
		return ADPKI_ERR_USAGE;
	}
	return execute(g, &st, NULL, 0, true);
}

const cli_command cmd_remove = {
	.name = "remove",
	.args = "CERT...",
	.summary = "remove certificates (files or thumbprints) from AD",
	.description =
		"Removes exactly these certificate values from Certification Authorities,\n"
		"AIA, NTAuthCertificates and KRA (or those of --from).  CERT is a\n"
		"certificate file, or a SHA-1 or SHA-256 thumbprint in any case, with or\n"
		"without spaces or colons.  An object in Certification Authorities or AIA\n"
		"that loses its last certificate is deleted unless --keep-empty;\n"
		"CN=NTAuthCertificates is never deleted.  Before anything is\n"
		"removed, an undo file (LDIF, mode 0600) is written and its path printed.",
	.options = remove_options,
	.plan_options = write_plan_options,
	.needs_directory = true,
	.run = run_remove,
};

const cli_command cmd_prune = {
	.name = "prune",
	.args = "(--expired | --expired-before=DATE | --not-ca)",
	.summary = "remove expired or non-CA certificates (for cron)",
	.description =
		"Removes the cACertificate and crossCertificatePair values that match any of\n"
		"the criteria from CN=Certification Authorities, CN=AIA and\n"
		"CN=NTAuthCertificates (or --from), with remove's rules, plan and undo file.\n"
		"Values that cannot be decoded are never pruned.",
	.options = prune_options,
	.plan_options = write_plan_options,
	.needs_directory = true,
	.run = run_prune,
};
