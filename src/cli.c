/* cli.c - option parsing from tables, --help, messages and exit codes. */
#include "config.h"
#include "cli.h"
#include "text.h"
#include "render.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum {
	G_URI = 1000, G_DC, G_DOMAIN, G_CONFIG_NC, G_CCACHE, G_MECH, G_SIMPLE, G_BIND_DN,
	G_STDIN_PASSWORD, G_PASSWORD_FILE, G_STARTTLS, G_TIMEOUT, G_WINDOW, G_VERBOSE, G_HELP,
};

/* Connection and credential options, accepted by every command that talks
 * to a directory, before or after the command name. */
static const cli_option global_options[] = {
	{ "uri", 'H', "URI", "DC to use: ldap://, ldaps:// or ldapi:// URI", G_URI },
	{ "domain-controller", 'S', "HOST", "domain controller host name (ldap://HOST)", G_DC },
	{ "domain", 0, "DOMAIN", "find a domain controller by DNS SRV for DOMAIN", G_DOMAIN },
	{ "config-nc", 0, "DN", "configuration NC (default: from the rootDSE)", G_CONFIG_NC },
	{ "login-ccache", 'C', "CCACHE", "Kerberos credential cache (default: KRB5CCNAME)", G_CCACHE },
	{ "sasl-mech", 'Y', "MECH", "SASL mechanism: GSSAPI (default) or EXTERNAL", G_MECH },
	{ "simple", 'x', NULL, "simple bind (ldaps://, StartTLS, ldapi:// only)", G_SIMPLE },
	{ "bind-dn", 0, "DN", "bind DN for a simple bind", G_BIND_DN },
	{ "stdin-password", 0, NULL, "read the simple-bind password from standard input", G_STDIN_PASSWORD },
	{ "password-file", 0, "FILE", "read the simple-bind password from FILE", G_PASSWORD_FILE },
	{ "starttls", 'Z', NULL, "use StartTLS on ldap://", G_STARTTLS },
	{ "timeout", 0, "SECONDS", "network and operation timeout (default 30)", G_TIMEOUT },
	{ "window", 0, "N", "LDAP writes in flight at once (default 64)", G_WINDOW },
	{ "verbose", 'v', NULL, "show each step and count LDAP round trips", G_VERBOSE },
	{ "help", 'h', NULL, "show this help", G_HELP },
	{ NULL, 0, NULL, NULL, 0 },
};

static size_t
table_size(const cli_option *t)
{
	size_t n = 0;

	while (t != NULL && t[n].long_name != NULL)
		n++;
	return n;
}

static void
add_options(const cli_option *t, struct option *longs, size_t *nl, char *shorts, size_t *ns)
{
	size_t i;

	for (i = 0; t != NULL && t[i].long_name != NULL; i++) {
		longs[*nl].name = t[i].long_name;
		longs[*nl].has_arg = t[i].arg_name ? required_argument : no_argument;
		longs[*nl].flag = NULL;
		longs[*nl].val = t[i].id;
		(*nl)++;
		if (t[i].short_name != 0) {
			shorts[(*ns)++] = (char)t[i].short_name;
			if (t[i].arg_name)
				shorts[(*ns)++] = ':';
		}
	}
}

/* getopt returns the short letter for short options: map it to the id. */
static int
option_id_in(const cli_option *t, int c)
{
	size_t i;

	for (i = 0; t != NULL && t[i].long_name != NULL; i++) {
		if (t[i].short_name == c)
			return t[i].id;
	}
	return -1;
}

static int
option_id(const cli_option *cmd_opts, int c)
{
	size_t i;

	for (i = 0; global_options[i].long_name != NULL; i++) {
		if (global_options[i].short_name == c)
			return global_options[i].id;
	}
	for (i = 0; cmd_opts != NULL && cmd_opts[i].long_name != NULL; i++) {
		if (cmd_opts[i].short_name == c)
			return cmd_opts[i].id;
	}
	return c;
}

static int
command_option_id(const cli_command *cmd, int c)
{
	int id = option_id(cmd->options, c);

	if (id == c && cmd->plan_options != NULL && option_id_in(cmd->plan_options, c) >= 0)
		id = option_id_in(cmd->plan_options, c);
	return id;
}

static adpki_result
parse_timeout(const char *arg, int *out, adpki_error *err)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < 1 || v > 3600)
		return adpki_fail(err, ADPKI_ERR_USAGE, "--timeout: '%s' is not a number of seconds "
		                  "from 1 to 3600", arg);
	*out = (int)v;
	return ADPKI_OK;
}

static adpki_result
parse_window(const char *arg, int *out, adpki_error *err)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < 1 || v > CONN_MAX_WINDOW)
		return adpki_fail(err, ADPKI_ERR_USAGE, "--window: '%s' is not a number of requests "
		                  "from 1 to %d", arg, CONN_MAX_WINDOW);
	*out = (int)v;
	return ADPKI_OK;
}

static adpki_result
apply_global(cli_globals *g, int id, const char *arg, adpki_error *err)
{
	conn_options *o = &g->conn;

	switch (id) {
	case G_URI: o->uri = arg; break;
	case G_DC: o->dc_host = arg; break;
	case G_DOMAIN: o->domain = arg; break;
	case G_CONFIG_NC: o->config_nc = arg; break;
	case G_CCACHE: o->login_ccache = arg; break;
	case G_MECH:
		if (strcasecmp(arg, "GSSAPI") == 0)
			o->auth = CONN_AUTH_GSSAPI;
		else if (strcasecmp(arg, "EXTERNAL") == 0)
			o->auth = CONN_AUTH_EXTERNAL;
		else
			return adpki_fail(err, ADPKI_ERR_USAGE,
			                  "-Y %s: unsupported SASL mechanism (use GSSAPI or EXTERNAL)", arg);
		o->sasl_mech = arg;
		break;
	case G_SIMPLE: o->auth = CONN_AUTH_SIMPLE; break;
	case G_BIND_DN: o->bind_dn = arg; break;
	case G_STDIN_PASSWORD: o->stdin_password = true; break;
	case G_PASSWORD_FILE: o->password_file = arg; break;
	case G_STARTTLS: o->starttls = true; break;
	case G_TIMEOUT: return parse_timeout(arg, &o->timeout, err);
	case G_WINDOW: return parse_window(arg, &o->window, err);
	case G_VERBOSE: g->verbose++; break;
	default: return adpki_fail(err, ADPKI_ERR_UNEXPECTED, "unknown option id %d", id);
	}
	return ADPKI_OK;
}

/* Checks that only make sense once all options are known. */
static adpki_result
check_globals(const cli_globals *g, adpki_error *err)
{
	const conn_options *o = &g->conn;

	if (o->auth == CONN_AUTH_SIMPLE && o->bind_dn == NULL)
		return adpki_fail(err, ADPKI_ERR_USAGE, "-x needs --bind-dn=DN");
	if (o->auth == CONN_AUTH_SIMPLE && !o->stdin_password && o->password_file == NULL)
		return adpki_fail(err, ADPKI_ERR_USAGE, "-x needs --stdin-password or --password-file=FILE "
		                  "(passwords are never taken from the command line)");
	if (o->stdin_password && o->password_file != NULL)
		return adpki_fail(err, ADPKI_ERR_USAGE,
		                  "--stdin-password and --password-file exclude each other");
	if (o->auth != CONN_AUTH_SIMPLE && (o->bind_dn || o->stdin_password || o->password_file))
		return adpki_fail(err, ADPKI_ERR_USAGE,
		                  "--bind-dn, --stdin-password and --password-file go with -x");
	return ADPKI_OK;
}

static const cli_option *
find_long(const cli_option *t, const char *name, size_t len)
{
	size_t i;

	for (i = 0; t != NULL && t[i].long_name != NULL; i++) {
		if (strlen(t[i].long_name) == len && strncmp(t[i].long_name, name, len) == 0)
			return &t[i];
	}
	return NULL;
}

/* getopt_long accepts any unambiguous abbreviation ("--password=x" would
 * become --password-file=x).  For a tool that edits forest-wide trust,
 * options must be spelled out: refuse anything that is not exact. */
static bool
long_options_exact(const cli_option *cmd_opts, const cli_option *plan_opts, int argc,
                   char **argv, bool leading, const char **bad)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		const cli_option *o;
		size_t len;

		if (strcmp(a, "--") == 0)
			break;
		if (leading && a[0] != '-')
			break;  /* the command name: its own parse checks the rest */
		if (strncmp(a, "--", 2) != 0) {
			/* A short option with its value in the next argument. */
			if (leading && a[1] != '\0' && a[2] == '\0') {
				size_t k;
				for (k = 0; global_options[k].long_name != NULL; k++)
					if (global_options[k].short_name == a[1] && global_options[k].arg_name)
						i++;
			}
			continue;
		}
		if (leading && strcmp(a, "--version") == 0)
			continue;
		eq = strchr(a + 2, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		o = find_long(global_options, a + 2, len);
		if (o == NULL)
			o = find_long(cmd_opts, a + 2, len);
		if (o == NULL)
			o = find_long(plan_opts, a + 2, len);
		if (o == NULL) {
			*bad = a;
			return false;
		}
		if (o->arg_name != NULL && eq == NULL)
			i++;  /* its value follows as the next argument */
	}
	return true;
}

/* Reports a getopt failure in adpki's own words (getopt would name
 * argv[0], which is the command, not the program). */
static void
report_getopt_error(const cli_globals *g, const char *where, int argc, char **argv)
{
	const char *arg = optind - 1 < argc && optind >= 1 ? argv[optind - 1] : "?";

	if (optopt != 0 && strncmp(arg, "--", 2) != 0)
		fprintf(stderr, "%s%s%s: invalid option -%c, or it needs an argument\n", g->program,
		        where[0] ? " " : "", where, optopt);
	else
		/* Only the name: "--stdin-password=SECRET" must not echo it. */
		fprintf(stderr, "%s%s%s: invalid option '%.*s', or it needs an argument\n",
		        g->program, where[0] ? " " : "", where, (int)strcspn(arg, "="), arg);
}

int
cli_parse(cli_globals *g, const cli_command *cmd, int argc, char **argv,
          cli_option_fn on_option, void *state, int *first_arg)
{
	size_t total = table_size(global_options) + table_size(cmd->options) +
	               table_size(cmd->plan_options) + 1;
	struct option *longs = calloc(total, sizeof *longs);
	char shorts[128] = "";
	size_t nl = 0, ns = 0;
	adpki_error err = { ADPKI_OK, "" };
	int c, rc = ADPKI_OK;

	if (longs == NULL) {
		adpki_fail_oom(&err);
		return cli_report(g, &err);
	}
	/* A leading ':' would change getopt's error reporting; we want its
	 * messages, but with our program name, so opterr stays on. */
	add_options(global_options, longs, &nl, shorts, &ns);
	add_options(cmd->options, longs, &nl, shorts, &ns);
	add_options(cmd->plan_options, longs, &nl, shorts, &ns);
	shorts[ns] = '\0';
	/* GNU getopt permutes argv, so options may follow positional
	 * arguments ("adpki list -H URI" and "adpki show a.cer --format=json").
	 * optind = 0 makes glibc forget the previous parse's mode. */
	{
		const char *bad = NULL;
		if (!long_options_exact(cmd->options, cmd->plan_options, argc, argv, false, &bad)) {
			/* Only the name: the value may be a secret ("--password=..."). */
			fprintf(stderr, "%s %s: unknown option '%.*s' (options must be spelled out in full)\n"
			        "Try '%s %s --help'.\n", g->program, cmd->name, (int)strcspn(bad, "="), bad,
			        g->program, cmd->name);
			free(longs);
			*first_arg = argc;
			return ADPKI_ERR_USAGE;
		}
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		int id;
		if (c == '?') {
			rc = ADPKI_ERR_USAGE;
			report_getopt_error(g, cmd->name, argc, argv);
			fprintf(stderr, "Try '%s %s --help'.\n", g->program, cmd->name);
			break;
		}
		id = command_option_id(cmd, c);
		if (id == G_HELP) {
			cli_print_command_help(stdout, cmd);
			free(longs);
			return -1;
		}
		if (id >= G_URI)
			rc = apply_global(g, id, optarg, &err);
		else
			rc = on_option ? on_option(state, id, optarg, &err)
			               : adpki_fail(&err, ADPKI_ERR_USAGE, "unexpected option");
		if (rc != ADPKI_OK)
			break;
	}
	free(longs);
	if (rc == ADPKI_OK)
		rc = check_globals(g, &err);
	if (rc != ADPKI_OK && err.message[0] != '\0') {
		fprintf(stderr, "%s %s: %s\nTry '%s %s --help'.\n", g->program, cmd->name, err.message,
		        g->program, cmd->name);
	}
	*first_arg = optind;
	return rc;
}

static const char *
category_hint(adpki_result code)
{
	switch (code) {
	case ADPKI_ERR_CREDENTIALS: return "credentials or permission";
	case ADPKI_ERR_DIRECTORY: return "directory or network";
	case ADPKI_ERR_CONFIG: return "configuration or input";
	case ADPKI_ERR_USAGE: return "usage";
	default: return "unexpected";
	}
}

int
cli_report(const cli_globals *g, const adpki_error *err)
{
	/* Messages carry file names, DNs and server text: one line each, so a
	 * name with a newline cannot forge a line of output. */
	char *safe = text_safe_line(err->message, 0);

	fprintf(stderr, "%s: %s\n", g->program, safe != NULL ? safe : err->message);
	free(safe);
	if (g->verbose)
		fprintf(stderr, "%s: (%s error, exit status %d)\n", g->program,
		        category_hint(err->code), (int)err->code);
	return (int)err->code;
}

void
cli_usage_error(const cli_globals *g, const cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", g->program, cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s --help'.\n", g->program, cmd->name);
}

static void
print_options(FILE *out, const cli_option *t)
{
	size_t i;

	for (i = 0; t[i].long_name != NULL; i++) {
		char left[64];
		if (t[i].short_name)
			snprintf(left, sizeof left, "-%c, --%s%s%s", t[i].short_name, t[i].long_name,
			         t[i].arg_name ? "=" : "", t[i].arg_name ? t[i].arg_name : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", t[i].long_name,
			         t[i].arg_name ? "=" : "", t[i].arg_name ? t[i].arg_name : "");
		if (strlen(left) > 26)
			fprintf(out, "  %s\n  %-26s  %s\n", left, "", t[i].help);
		else
			fprintf(out, "  %-26s  %s\n", left, t[i].help);
	}
}

void
cli_print_command_help(FILE *out, const cli_command *cmd)
{
	fprintf(out, "Usage: adpki %s [OPTIONS]%s%s\n%s\n\n%s\n", cmd->name,
	        cmd->args[0] ? " " : "", cmd->args, cmd->summary, cmd->description);
	if (cmd->options != NULL && cmd->options[0].long_name != NULL) {
		fprintf(out, "\nOptions:\n");
		print_options(out, cmd->options);
	}
	if (cmd->plan_options != NULL) {
		fprintf(out, "\nPlan options:\n");
		print_options(out, cmd->plan_options);
	}
	if (cmd->needs_directory) {
		fprintf(out, "\nConnection options (before or after the command name):\n");
		print_options(out, global_options);
	} else {
		fprintf(out, "\n  -h, --help                  show this help\n");
	}
	fprintf(out, "\nExit status: 0 success, %s2 usage, 3 unexpected,\n"
	             "4 directory or network, 5 configuration or input, 6 credentials or\n"
	             "permission.  See adpki(1).\n",
	        cmd->plan_options != NULL ? "1 changes pending (--exit-code), " : "");
}

static void
stderr_log(void *ctx, const char *fmt, ...)
{
	const cli_globals *g = ctx;
	va_list ap;

	fprintf(stderr, "%s: ", g->program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

adpki_logger
cli_logger(cli_globals *g)
{
	adpki_logger lg = { g->verbose ? stderr_log : NULL, g };
	return lg;
}

adpki_result
cli_connect(cli_globals *g, conn **out, adpki_error *err)
{
	adpki_logger lg = cli_logger(g);
	return conn_open(&g->conn, &lg, out, err);
}

void
cli_disconnect(cli_globals *g, conn *c)
{
	char stats[160];

	if (c == NULL)
		return;
	if (g->verbose) {
		conn_describe_stats(c, stats, sizeof stats);
		fprintf(stderr, "%s: LDAP: %s\n", g->program, stats);
	}
	conn_close(c);
}

int
cli_parse_leading_globals(cli_globals *g, int argc, char **argv, bool *help)
{
	size_t total = table_size(global_options) + 2;
	struct option *longs = calloc(total, sizeof *longs);
	char shorts[64] = "+";
	size_t nl = 0, ns = 1;
	adpki_error err = { ADPKI_OK, "" };
	int c, rc = ADPKI_OK;

	if (longs == NULL)
		return -1;
	{
		const char *bad = NULL;
		if (!long_options_exact(NULL, NULL, argc, argv, true, &bad)) {
			fprintf(stderr, "%s: unknown option '%.*s' (options must be spelled out in full)\n",
			        g->program, (int)strcspn(bad, "="), bad);
			free(longs);
			return -1;
		}
	}
	add_options(global_options, longs, &nl, shorts, &ns);
	longs[nl].name = "version";
	longs[nl].val = 'V';
	shorts[ns] = '\0';
	optind = 0;
	opterr = 0;
	*help = false;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		int id = option_id(NULL, c);
		if (c == 'V') {
			printf("adpki %s\n", PACKAGE_VERSION);
			free(longs);
			exit(0);
		}
		if (c == '?') {
			report_getopt_error(g, "", argc, argv);
			free(longs);
			return -1;
		}
		if (id == G_HELP) {
			*help = true;
			continue;
		}
		rc = apply_global(g, id, optarg, &err);
		if (rc != ADPKI_OK) {
			fprintf(stderr, "%s: %s\n", g->program, err.message);
			free(longs);
			return -1;
		}
	}
	free(longs);
	return optind;
}
