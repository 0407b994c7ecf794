/* gen.c — `ksleuth manpage` and `ksleuth completion bash` (hidden): the
 * man page and the bash completion written from the same option tables
 * as --help (lib/opt.h), so that packaging installs what the binary
 * says. Output only: stdout. */
#include <stdio.h>
#include <string.h>

#include "ksleuth.h"
#include "sys/cli.h"

const struct opt_cmd manpage_cli = {
	.name = "manpage",
	.summary = "print the manual page ksleuth(8) in troff",
	.description =
	"Prints ksleuth(8) (man(7) macros) from the option tables that --help\n"
	"reads too: every command listed by 'ksleuth help', with its synopsis,\n"
	"description and options. Packaging installs it as\n"
	"/usr/share/man/man8/ksleuth.8; 'ksleuth manpage | man -l -' shows it.\n",
};

const struct opt_cmd completion_cli = {
	.name = "completion",
	.summary = "print the shell completion script",
	.operands = "bash",
	.max_operands = 1,
	.description =
	"Prints a bash completion script for ksleuth's commands and their options,\n"
	"from the option tables that --help reads too. Packaging installs it as\n"
	"/usr/share/bash-completion/completions/ksleuth; 'source <(ksleuth\n"
	"completion bash)' loads it into the running shell.\n",
};

/* The commands `help` lists, in its order. */
static size_t listed(const struct opt_cmd **out, size_t max)
{
	size_t n = 0;

	for (const struct command *c = commands; c->cli && n < max; c++)
		if (!(c->flags & CMD_HIDDEN))
			out[n++] = c->cli;
	return n;
}

/* Both commands: parse, check the shell, write from the listed commands. */
static int generate(const struct opt_cmd *cli, int argc, char **argv,
		    void (*write)(FILE *, const struct opt_prog *, const struct opt_cmd *const *, size_t))
{
	const struct opt_cmd *cmds[32];
	struct opt_result res;
	int rc = cli_parse(cli, argc, argv, NULL, &res);

	if (rc != CLI_RUN)
		return rc;
	if (cli->operands && (res.nargs != 1 || strcmp(res.args[0], cli->operands)))
		return cli_usage_error(cli, "name the shell: 'ksleuth %s %s' (the one there is)", cli->name,
				       cli->operands);
	write(stdout, &ksleuth_prog, cmds, listed(cmds, ARRAY_SIZE(cmds)));
	return EXIT_OK;
}

int cmd_manpage(int argc, char **argv)
{
	return generate(&manpage_cli, argc, argv, opt_man);
}

int cmd_completion(int argc, char **argv)
{
	return generate(&completion_cli, argc, argv, opt_bash_completion);
}
