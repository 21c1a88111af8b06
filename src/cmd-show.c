/* cmd-show.c - `adpki show FILE...`: what adpki sees in certificate files,
 * offline: facts, the AD object name, and warnings. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "render.h"

enum { OPT_FORMAT = 1 };

static const cli_option show_options[] = {
	{ "format", 0, "FORMAT", "table (default) or json", OPT_FORMAT },
	{ NULL, 0, NULL, NULL, 0 },
};

typedef struct {
	const char *format;
} show_state;

static adpki_result
show_option(void *state, int id, const char *arg, adpki_error *err)
{
	show_state *st = state;

	if (id == OPT_FORMAT) {
		if (strcmp(arg, "table") != 0 && strcmp(arg, "json") != 0)
			return adpki_fail(err, ADPKI_ERR_USAGE, "--format=%s: use table or json", arg);
		st->format = arg;
	}
	return ADPKI_OK;
}

static void
print_table(const cert_list *certs, time_t now)
{
	size_t i;

	for (i = 0; i < certs->count; i++) {
		if (i > 0)
			putchar('\n');
		printf("Certificate %zu of %zu\n", i + 1, certs->count);
		render_cert_table(stdout, certs->items[i], now);
	}
}

static int
print_json(const cli_globals *g, const cert_list *certs, json_t *errors, time_t now)
{
	json_t *doc = json_object(), *arr = json_array();
	adpki_error err = { ADPKI_OK, "" };
	size_t i;
	int rc = 0;

	for (i = 0; i < certs->count; i++) {
		json_t *c = render_cert_json(certs->items[i], now);
		json_object_set_new(c, "source", render_json_text(certs->items[i]->source));
		json_array_append_new(arr, c);
	}
	json_object_set_new(doc, "certificates", arr);
	json_object_set(doc, "errors", errors);
	if (render_json(stdout, doc, &err) != ADPKI_OK)
		rc = cli_report(g, &err);
	json_decref(doc);
	return rc;
}

static int
run_show(cli_globals *g, const cli_command *cmd, int argc, char **argv)
{
	show_state st = { "table" };
	cert_list certs = { NULL, 0 };
	json_t *errors = json_array();
	int first, rc, i, worst = 0;
	time_t now = time(NULL);

	rc = cli_parse(g, cmd, argc, argv, show_option, &st, &first);
	if (rc != 0) {
		json_decref(errors);
		return rc < 0 ? 0 : rc;
	}
	if (first >= argc) {
		cli_usage_error(g, cmd, "no certificate file given");
		json_decref(errors);
		return ADPKI_ERR_USAGE;
	}
	/* Every file is read; each bad one is reported, and the exit status
	 * says that something could not be read. */
	for (i = first; i < argc; i++) {
		adpki_error err = { ADPKI_OK, "" };
		if (cert_load_file(argv[i], &certs, &err) != ADPKI_OK) {
			worst = cli_report(g, &err);
			json_array_append_new(errors, render_json_text(err.message));
		}
	}
	if (strcmp(st.format, "json") == 0)
		rc = print_json(g, &certs, errors, now);
	else
		print_table(&certs, now);
	json_decref(errors);
	cert_list_clear(&certs);
	return worst != 0 ? worst : rc;
}

const cli_command cmd_show = {
	.name = "show",
	.args = "FILE...",
	.summary = "show certificates in files as adpki sees them (offline)",
	.description =
		"Reads DER, PEM (one or many certificates, LF or CRLF), Windows Base-64 .cer\n"
		"and PKCS#7 .p7b/.p7c files and shows, per certificate: subject, issuer,\n"
		"serial, SHA-1 and SHA-256 thumbprints, validity, key, signature algorithm,\n"
		"whether it is a (self-signed) CA, the AD object name it would get (MS-WCCE\n"
		"sanitized short name) and warnings (not a CA, expired, too large for AD,\n"
		"risks for Lync/Skype Phone Edition and Polycom CX700 devices).",
	.options = show_options,
	.needs_directory = false,
	.run = run_show,
};
