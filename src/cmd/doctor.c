/* doctor.c — placeholder until the command is written (see the issue). */
#include "ksleuth.h"
#include "sys/log.h"

int cmd_doctor(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	err("'ksleuth doctor' is not written yet");
	return EXIT_RUNTIME;
}
