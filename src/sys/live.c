/* live.c — the live commands' one lifecycle (see live.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "sys/child.h"
#include "sys/cli.h"
#include "sys/live.h"
#include "sys/log.h"
#include "sys/loop.h"

struct live {
	const struct live_ops *ops;
	void *cmd;
	char **command;          /* "-- COMMAND", or NULL */
};

static void on_interval(struct loop *l, void *arg)
{
	struct live *lv = arg;

	lv->ops->tick(lv->cmd, l);
}

static void on_duration(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

static int run(struct live *lv, struct loop *l, uint64_t interval_ns, uint64_t duration_ns)
{
	const struct live_ops *ops = lv->ops;
	int rc = ops->open ? ops->open(lv->cmd, l) : 0, failed;
	struct child *child = NULL;

	if (rc)
		return rc;
	if ((interval_ns && ops->tick && loop_add_timer(l, interval_ns, interval_ns, on_interval, lv) < 0) ||
	    (duration_ns && loop_add_timer(l, duration_ns, 0, on_duration, lv) < 0)) {
		err("cannot set up the event loop: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (ops->start && (rc = ops->start(lv->cmd)))
		return rc;
	/* the COMMAND starts once everything is attached, and is ended (or
	 * reaped) before the summary, whose exit code its failure adds to */
	if (lv->command && !(child = child_start(l, lv->command)))
		return EXIT_RUNTIME;
	rc = loop_run(l);
	failed = child ? child_finish(child, EXIT_OK) : EXIT_OK;
	if (rc < 0) {
		err("the event loop failed: %s", strerror(-rc));
		return EXIT_RUNTIME + failed;
	}
	return (ops->summary ? ops->summary(lv->cmd) : EXIT_OK) + failed;
}

static int live_run(const struct live_ops *ops, void *cmd, char **command, uint64_t interval_ns,
		    uint64_t duration_ns)
{
	struct live lv = { ops, cmd, command };
	struct loop *l = loop_new();
	int rc;

	if (!l) {
		err("cannot create the event loop: %s", strerror(errno));
		rc = EXIT_RUNTIME;
	} else {
		rc = run(&lv, l, interval_ns, duration_ns);
	}
	/* before the loop: a collector may hold an fd or a timer there */
	if (ops->close)
		ops->close(cmd);
	loop_free(l);
	return rc;
}

static int parse_and_run(const struct live_cmd *c, char *cmd, int argc, char **argv)
{
	const struct live_ops *ops = &c->ops;
	struct opt_result res;
	int rc;

	if (ops->init)
		ops->init(cmd);
	if ((rc = cli_parse(c->cli, argc, argv, cmd + c->args_off, &res)) != CLI_RUN)
		return rc;
	if ((res.command && (rc = child_check(res.command))) ||
	    (ops->check && (rc = ops->check(cmd, &res)))) {
		if (ops->close)
			ops->close(cmd);
		return rc;
	}
	return live_run(ops, cmd, res.command, *(uint64_t *)(cmd + c->interval_off),
			*(uint64_t *)(cmd + c->duration_off));
}

int live_main(const struct live_cmd *c, int argc, char **argv)
{
	char *cmd = calloc(1, c->size);
	int rc;

	if (!cmd) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	rc = parse_and_run(c, cmd, argc, argv);
	free(cmd);
	return rc;
}
