/* Unit tests: count's event specs, suggestions, glob use, interval table
 * and JSON (lib/evspec). */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "lib/evspec.h"
#include "lib/strutil.h"

TEST(evspec_forms)
{
	struct ev_spec s;
	const char *why;
	CHECK_EQ(ev_spec_parse("t:tcp:tcp_retransmit_skb", &s, &why), 0);
	CHECK_EQ(s.kind, EV_TRACEPOINT); CHECK_STR(s.pattern, "tcp:tcp_retransmit_skb");
	CHECK_EQ(ev_spec_parse("tracepoint:sched:sched_wak*", &s, &why), 0);
	CHECK_EQ(s.kind, EV_TRACEPOINT); CHECK_STR(s.pattern, "sched:sched_wak*");
	CHECK_EQ(ev_spec_parse("task:task_rename", &s, &why), 0);
	CHECK_EQ(s.kind, EV_TRACEPOINT); CHECK_STR(s.pattern, "task:task_rename");
	CHECK_EQ(ev_spec_parse("f:vfs_read", &s, &why), 0);
	CHECK_EQ(s.kind, EV_FENTRY); CHECK_STR(s.pattern, "vfs_read");
	CHECK_EQ(ev_spec_parse("k:tcp_*", &s, &why), 0);
	CHECK_EQ(s.kind, EV_KPROBE);
	CHECK_EQ(ev_spec_parse("vfs_read", &s, &why), 0);
	CHECK_EQ(s.kind, EV_KPROBE);
}

TEST(evspec_bad)
{
	struct ev_spec s;
	const char *why;
	CHECK_EQ(ev_spec_parse("", &s, &why), -EINVAL); CHECK(why != NULL);
	CHECK_EQ(ev_spec_parse("t:tcp", &s, &why), -EINVAL); CHECK(why != NULL);
	CHECK_EQ(ev_spec_parse("t::x", &s, &why), -EINVAL);
	CHECK_EQ(ev_spec_parse("t:a:b:c", &s, &why), -EINVAL);
	CHECK_EQ(ev_spec_parse("t:tcp:", &s, &why), -EINVAL);
	CHECK_EQ(ev_spec_parse("f:", &s, &why), -EINVAL);
	CHECK_EQ(ev_spec_parse("k:a:b", &s, &why), -EINVAL);
	CHECK_EQ(ev_spec_parse("t:tcp:x;rm", &s, &why), -EINVAL);
	CHECK_EQ(ev_spec_parse("t:tcp:../../x", &s, &why), -EINVAL);
	char long_name[400];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	long_name[1] = ':';
	CHECK_EQ(ev_spec_parse(long_name, &s, &why), -EINVAL);
}

TEST(evspec_functions)
{
	struct ev_spec s;
	const char *why;
	CHECK_EQ(ev_spec_parse("k:vfs_read.isra.0", &s, &why), 0);
	CHECK_EQ(s.kind, EV_KPROBE); CHECK_STR(s.pattern, "vfs_read.isra.0");
	CHECK_EQ(ev_spec_parse("fentry:tcp_v4_*", &s, &why), 0);
	CHECK_EQ(s.kind, EV_FENTRY); CHECK_STR(s.pattern, "tcp_v4_*");
	CHECK_EQ(ev_spec_parse("kprobe:__set_task_comm", &s, &why), 0);
	CHECK_EQ(s.kind, EV_KPROBE); CHECK_STR(s.pattern, "__set_task_comm");
	/* row names: k:/f: kept, so one function counted both ways is two rows */
	CHECK_STR(ev_kind_prefix(EV_KPROBE), "k:");
	CHECK_STR(ev_kind_prefix(EV_FENTRY), "f:");
	CHECK_STR(ev_kind_prefix(EV_TRACEPOINT), "");
}

TEST(evspec_func_lines)
{
	char a[] = "vfs_read\n", b[] = "nf_hook_slow [nf_tables]\n", c[] = "  \n";
	char d[] = "#### all functions enabled ####\n", e[] = "do_one.constprop.0\t[mod]";
	CHECK_STR(ev_func_line(a), "vfs_read");
	CHECK_STR(ev_func_line(b), "nf_hook_slow");
	CHECK(ev_func_line(c) == NULL);
	CHECK(ev_func_line(d) == NULL);
	CHECK_STR(ev_func_line(e), "do_one.constprop.0");
}

TEST(evspec_names_unique)
{
	const char *in[] = { "vfs_read", "b", "vfs_read", "a", "b", "b" };
	char *v[6];
	for (int i = 0; i < 6; i++)
		v[i] = strdup(in[i]);
	size_t n = ev_names_unique(v, 6);
	REQUIRE(n == 3);
	CHECK_STR(v[0], "a"); CHECK_STR(v[1], "b"); CHECK_STR(v[2], "vfs_read");
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	CHECK_EQ(ev_names_unique(v, 0), 0);
}

static const char *const events[] = {
	"sched:sched_switch", "sched:sched_wakeup", "sched:sched_wakeup_new",
	"sched:sched_waking", "tcp:tcp_retransmit_skb", "tcp:tcp_retransmit_synack",
	"tcp:tcp_probe", "task:task_rename", "task:task_newtask", "irq:softirq_raise",
};
#define NEV (sizeof(events) / sizeof(events[0]))

TEST(evspec_glob)
{
	int n = 0;
	for (size_t i = 0; i < NEV; i++)
		n += glob_match("sched:sched_wak*", events[i]);
	CHECK_EQ(n, 3);
	n = 0;
	for (size_t i = 0; i < NEV; i++)
		n += glob_match("tcp:*", events[i]);
	CHECK_EQ(n, 3);
	CHECK(!glob_match("tcp:*", "tcpx:foo"));
	CHECK(glob_match("*:task_*", "task:task_rename"));
}

TEST(evspec_suggest)
{
	const char *out[3];
	size_t n = ev_suggest("sched:sched_swtich", events, NEV, out, 3);
	REQUIRE(n >= 1);
	CHECK_STR(out[0], "sched:sched_switch");
	n = ev_suggest("tcp:retransmit_skb", events, NEV, out, 3);
	REQUIRE(n >= 1);
	CHECK_STR(out[0], "tcp:tcp_retransmit_skb");
	n = ev_suggest("net:task_rename", events, NEV, out, 3); /* wrong category */
	REQUIRE(n >= 1);
	CHECK_STR(out[0], "task:task_rename");
	n = ev_suggest("zzzz:qqqqqqq", events, NEV, out, 3);
	CHECK_EQ(n, 0);
	n = ev_suggest("sched:sched_wakeu", events, NEV, out, 2);
	CHECK_EQ(n, 2);
}

TEST(count_table)
{
	struct count_row rows[] = {
		{ "tcp:tcp_retransmit_skb", -1, 12 },
		{ "sched:sched_switch", -1, 3456 },
		{ "tcp:tcp_probe", -1, 0 },
		{ "irq:softirq_raise", -1, 12 },
	};
	count_rows_sort(rows, 4);
	CHECK_STR(rows[0].name, "tcp:tcp_probe");
	CHECK_STR(rows[1].name, "irq:softirq_raise");
	CHECK_STR(rows[3].name, "sched:sched_switch");
	MEMSTREAM(f, buf, len);
	count_table_print(f, rows, 4, "18:33:41", false);
	fclose(f);
	CHECK_STR(buf, "\n18:33:41\n"
		       "FUNC                                    COUNT\n"
		       "irq:softirq_raise                          12\n"
		       "tcp:tcp_retransmit_skb                     12\n"
		       "sched:sched_switch                       3456\n");
	(void)len;
	free(buf);
}

TEST(count_table_per_cpu)
{
	struct count_row rows[] = {
		{ "sched:sched_switch", 1, 40 },
		{ "sched:sched_switch", 0, 7 },
	};
	count_rows_sort(rows, 2);
	MEMSTREAM(f, buf, len);
	count_table_print(f, rows, 2, NULL, true);
	fclose(f);
	CHECK_STR(buf, "\n"
		       "FUNC                                  CPU    COUNT\n"
		       "sched:sched_switch                      0        7\n"
		       "sched:sched_switch                      1       40\n");
	(void)len;
	free(buf);
}

TEST(count_json)
{
	struct count_row tot[] = { { "a:b", -1, 5 }, { "c:d", -1, 0 } };
	struct count_row pc[] = { { "a:b", 0, 2 }, { "a:b", 1, 3 }, { "c:d", 0, 0 } };
	struct json j;
	MEMSTREAM(f, buf, len);
	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "type", "interval");
	count_json_body(&j, tot, 2, pc, 3);
	json_obj_end(&j);
	json_line_end(&j);
	fclose(f);
	CHECK_STR(buf, "{\"type\":\"interval\",\"counts\":{\"a:b\":5,\"c:d\":0},"
		       "\"per_cpu\":{\"a:b\":{\"0\":2,\"1\":3}}}\n");
	(void)len;
	free(buf);
}
