/* cli.c — command lines through the option tables (see cli.h): the
 * system's facts in, --help and the one-line error out. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "ksleuth.h"
#include "lib/json.h"
#include "sys/cli.h"
#include "sys/log.h"
#include "sys/privs.h"

static bool pid_exists(long pid)
{
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

void cli_env(struct opt_env *env)
{
	int n = libbpf_num_possible_cpus();

	env->ncpus = n > 0 ? n : (int)sysconf(_SC_NPROCESSORS_CONF);
	env->pid_exists = pid_exists;
}

int cli_parse(const struct opt_cmd *c, int argc, char **argv, void *args, struct opt_result *res)
{
	struct opt_env env;

	cli_env(&env);
	switch (opt_parse(c, argc, argv, args, &env, res)) {
	case OPT_RUN:
		return CLI_RUN;
	case OPT_HELP:
		opt_usage(stdout, c);
		return EXIT_OK;
	default:
		err("%s", res->msg);
		return EXIT_USAGE;
	}
}

int cli_usage_error(const struct opt_cmd *c, const char *fmt, ...)
{
	char msg[OPT_MSG_SIZE], hint[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err("%s; %s", msg, opt_hint(c, hint, sizeof(hint)));
	return EXIT_USAGE;
}

int cli_finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return rc;
		err("cannot write the output: %s", strerror(errno));
		return rc ? rc : EXIT_RUNTIME;
	}
	return rc;
}

static bool asks_help(int argc, char **argv)
{
	for (int k = 1; k < argc; k++)
		if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h"))
			return true;
	return false;
}

int cli_run(const struct opt_cmd *c, int (*fn)(int argc, char **argv), bool needs_bpf,
	    int argc, char **argv)
{
	char who[64];

	log_init();
	json_set_command(c->name);
	if (needs_bpf && !asks_help(argc, argv) && preflight_bpf(opt_title(c, who, sizeof(who))) < 0)
		return EXIT_RUNTIME;
	return cli_finish(fn(argc, argv));
}
