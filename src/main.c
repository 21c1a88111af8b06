/* main.c - adpki: publish, list and remove CA certificates in Active
 * Directory's Public Key Services from Linux.  Dispatches to commands. */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_command *const commands[] = {
	&cmd_show,
	&cmd_list,
	&cmd_publish,
	&cmd_remove,
	&cmd_prune,
	&cmd_apply,
	&cmd_dspublish,
	NULL,
};

static void
print_tool_help(FILE *out)
{
	size_t i;

	fprintf(out,
	        "Usage: adpki [CONNECTION OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
	        "Publish, list and remove CA certificates in Active Directory's\n"
	        "Public Key Services (Certification Authorities, AIA, NTAuthCertificates,\n"
	        "CDP, KRA, Enrollment Services), binding with Kerberos.\n\nCommands:\n");
	for (i = 0; commands[i] != NULL; i++)
		fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out,
	        "\nConnection options (-H URI, -S HOST, --domain, -Y, -C, -v ...) are accepted\n"
	        "before or after the command name; 'adpki COMMAND --help' lists them.\n"
	        "  -h, --help     show this help\n"
	        "      --version  show the version\n\n"
	        "Exit status: 0 success, 1 changes pending (--exit-code), 2 usage,\n"
	        "3 unexpected, 4 directory or network, 5 configuration or input,\n"
	        "6 credentials or permission.  See adpki(1).\n");
}

static const cli_command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; commands[i] != NULL; i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	cli_globals g;
	const cli_command *cmd;
	bool help = false;
	int idx;

	setlocale(LC_CTYPE, "");
	memset(&g, 0, sizeof g);
	g.program = "adpki";
	conn_options_init(&g.conn);
	idx = cli_parse_leading_globals(&g, argc, argv, &help);
	if (idx < 0) {
		fprintf(stderr, "Try 'adpki --help'.\n");
		return ADPKI_ERR_USAGE;
	}
	if (idx >= argc) {
		if (help) {
			print_tool_help(stdout);
			return 0;
		}
		fprintf(stderr, "adpki: no command given\nTry 'adpki --help'.\n");
		return ADPKI_ERR_USAGE;
	}
	if (strcmp(argv[idx], "help") == 0) {
		cmd = idx + 1 < argc ? find_command(argv[idx + 1]) : NULL;
		if (cmd != NULL)
			cli_print_command_help(stdout, cmd);
		else
			print_tool_help(stdout);
		return 0;
	}
	cmd = find_command(argv[idx]);
	if (cmd == NULL) {
		fprintf(stderr, "adpki: unknown command '%s'\nTry 'adpki --help'.\n", argv[idx]);
		return ADPKI_ERR_USAGE;
	}
	if (help) {
		cli_print_command_help(stdout, cmd);
		return 0;
	}
	return cmd->run(&g, cmd, argc - idx, argv + idx);
}
