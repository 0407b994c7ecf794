/* hogmain.c — ksleuth-hog, the bounded CPU hog (src/cmd/hog.c) as a
 * program of its own: the culprit the demo and the tests make shows up
 * under its own name (comm "ksleuth-hog"), never as the tool that
 * observes it. Installed in LIBEXECDIR, off PATH (sys/helper.h). */
#include "ksleuth.h"
#include "sys/cli.h"
#include "sys/termout.h"

bool opt_verbose; /* the hog's -v */

int main(int argc, char **argv)
{
	/* its output carries no outside text, but the same filter keeps it so */
	termout_install();
	return cli_run(&hog_cli, cmd_hog, true, argc, argv);
}
