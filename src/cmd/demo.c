/* demo.c — placeholder until the command is written (see the issue). */
#include "ksleuth.h"
#include "sys/log.h"

int cmd_demo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	err("'ksleuth demo' is not written yet");
	return EXIT_RUNTIME;
}
