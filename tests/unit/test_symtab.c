/* test_symtab.c — kallsyms parsing and address lookups. */
#include <errno.h>
#include <stdlib.h>

#include "lib/symtab.h"
#include "test.h"

TEST(symtab_kallsyms_lines)
{
	struct symtab t;
	char buf[128];

	symtab_init(&t);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffff81000000 T _text"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffff81241000 t bpf_test_run"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffff81240800 T bpf_prog_test_run_skb"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffff82000000 T _etext"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffff82800000 D jiffies"), 0);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "0000000000000000 T hidden"), 0);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "garbage"), -EINVAL);
	CHECK_EQ(symtab_add_kallsyms_line(&t,
		 "ffffffffa0001000 t bpf_prog_6deef7357e7b4530_ks_spin\t[bpf]"), 1);
	symtab_sort(&t);
	CHECK_EQ(t.n, 5);
	CHECK_U64(t.text_end, 0xffffffff82000000ULL);

	CHECK_STR(symtab_format(&t, 0xffffffff81241010ULL, buf, sizeof(buf)), "bpf_test_run+0x10");
	CHECK_STR(symtab_format(&t, 0xffffffff81240800ULL, buf, sizeof(buf)), "bpf_prog_test_run_skb+0x0");
	/* a BPF image's size is not in kallsyms: named only with its extent */
	CHECK_STR(symtab_format(&t, 0xffffffffa0001042ULL, buf, sizeof(buf)), "[bpf] 0xffffffffa0001042");
	CHECK_EQ(symtab_add_range(&t, 0xffffffffa0001000ULL, 0x80, "bpf_prog_6deef7357e7b4530_ks_spin"), 1);
	CHECK_STR(symtab_format(&t, 0xffffffffa0001042ULL, buf, sizeof(buf)),
		  "bpf_prog_6deef7357e7b4530_ks_spin+0x42");
	CHECK_STR(symtab_format(&t, 0x1000, buf, sizeof(buf)), "0x1000");
	/* a return address right after a call that ends bpf_prog_test_run_skb */
	CHECK_STR(symtab_format(&t, 0xffffffff81241000ULL, buf, sizeof(buf)), "bpf_test_run+0x0");
	CHECK_STR(symtab_format_ret(&t, 0xffffffff81241000ULL, buf, sizeof(buf)), "bpf_prog_test_run_skb+0x800");
	CHECK_STR(symtab_format_ret(&t, 0xffffffff81241010ULL, buf, sizeof(buf)), "bpf_test_run+0x10");
	uint64_t off = 7;
	const struct sym *s = symtab_lookup(&t, 0xffffffff81000000ULL, &off);
	REQUIRE(s);
	CHECK_STR(s->name, "_text");
	CHECK_U64(off, 0);
	CHECK(sym_is_bpf_prog("bpf_prog_6deef7357e7b4530_ks_spin"));
	CHECK(!sym_is_bpf_prog("bpf_test_run"));
	symtab_free(&t);
}

TEST(symtab_sort_dedups_and_searches)
{
	struct symtab t;
	symtab_init(&t);
	/* many symbols, inserted in reverse, with aliases */
	for (int i = 999; i >= 0; i--) {
		char name[32];
		snprintf(name, sizeof(name), "f%d", i);
		CHECK_EQ(symtab_add(&t, 0x1000 + (uint64_t)i * 0x10, name), 0);
	}
	CHECK_EQ(symtab_add(&t, 0x1000, "alias_a"), 0);
	symtab_sort(&t);
	CHECK_EQ(t.n, 1000);
	uint64_t off;
	for (int i = 0; i < 1000; i++) {
		const struct sym *s = symtab_lookup(&t, 0x1000 + (uint64_t)i * 0x10 + 3, &off);
		REQUIRE(s);
		CHECK_U64(s->addr, 0x1000 + (uint64_t)i * 0x10);
		CHECK_U64(off, 3);
	}
	CHECK_STR(symtab_lookup(&t, 0x1000, &off)->name, "alias_a");
	CHECK(symtab_lookup(&t, 0xfff, &off) == NULL);
	symtab_free(&t);
	symtab_sort(&t); /* empty is fine */
	CHECK(symtab_lookup(&t, 0x1000, &off) == NULL);
}

/* A BPF symbol from kallsyms has no size: an address past it is unknown,
 * never the neighbouring program's; kernel text stops at _etext. */
TEST(symtab_bpf_without_extent_is_unknown)
{
	struct symtab t;
	char buf[128];
	uint64_t off;

	symtab_init(&t);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffff81000000 T _stext"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffff81fff000 T last_text"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffff82000000 T _etext"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffffc0026830 t bpf_prog_3ac2415ebd18008b_ks_sched_sample\t[bpf]"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffffc0203000 t ftrace_trampoline\t[__builtin__ftrace]"), 1);
	symtab_sort(&t);
	CHECK_STR(symtab_format(&t, 0xffffffff81fff010ULL, buf, sizeof(buf)), "last_text+0x10");
	/* _etext itself is a symbol, but nothing past it belongs to the text */
	CHECK(symtab_lookup(&t, 0xffffffff82000010ULL, &off) == NULL);
	CHECK_STR(symtab_format(&t, 0xffffffffc0026900ULL, buf, sizeof(buf)), "[bpf] 0xffffffffc0026900");
	CHECK_STR(symtab_format(&t, 0xffffffffc0203010ULL, buf, sizeof(buf)), "ftrace_trampoline+0x10");
	CHECK(symtab_lookup(&t, 0xffffffffc0213000ULL, &off) == NULL);
	CHECK_STR(symtab_format(&t, 0xffffffffc0213000ULL, buf, sizeof(buf)), "0xffffffffc0213000");
	/* with its exact extent it is named, and only inside it */
	CHECK_EQ(symtab_add_range(&t, 0xffffffffc0026830ULL, 0x640,
				  "bpf_prog_3ac2415ebd18008b_ks_sched_sample"), 1);
	CHECK_STR(symtab_format(&t, 0xffffffffc0026900ULL, buf, sizeof(buf)),
		  "bpf_prog_3ac2415ebd18008b_ks_sched_sample+0xd0");
	CHECK(symtab_lookup(&t, 0xffffffffc0026830ULL + 0x640, &off) == NULL);
	CHECK_STR(symtab_format(&t, 0xffffffffc0026e80ULL, buf, sizeof(buf)), "[bpf] 0xffffffffc0026e80");
	/* an address below the first BPF image, above the text: still "[bpf]" */
	CHECK_STR(symtab_format(&t, 0xffffffffc0021000ULL, buf, sizeof(buf)), "[bpf] 0xffffffffc0021000");
	symtab_free(&t);
}

/* Merging: the same range twice is no change; a program that unloaded
 * keeps its name; a newer one overlapping it wins for the overlap only. */
TEST(symtab_range_merge)
{
	struct symtab t;
	char buf[128];
	uint64_t off;

	symtab_init(&t);
	CHECK_EQ(symtab_add_range(&t, 0x1000, 0x100, "bpf_prog_a_old"), 1);
	CHECK_EQ(symtab_add_range(&t, 0x1200, 0x80, "bpf_prog_b_next"), 1);
	CHECK_EQ(symtab_add_range(&t, 0x1000, 0x100, "bpf_prog_a_old"), 0);
	CHECK_EQ(symtab_add_range(&t, 0x1000, 0, "x"), -EINVAL);
	CHECK_EQ(t.nr, 2);
	CHECK_STR(symtab_format(&t, 0x10ff, buf, sizeof(buf)), "bpf_prog_a_old+0xff");
	CHECK(symtab_lookup(&t, 0x1100, &off) == NULL); /* the gap */
	CHECK(symtab_lookup(&t, 0x0fff, &off) == NULL);

	/* newer program inside the old one: head and tail keep the old name
	 * with their true offsets */
	CHECK_EQ(symtab_add_range(&t, 0x1040, 0x40, "bpf_prog_c_new"), 1);
	CHECK_EQ(t.nr, 4);
	CHECK_STR(symtab_format(&t, 0x103f, buf, sizeof(buf)), "bpf_prog_a_old+0x3f");
	CHECK_STR(symtab_format(&t, 0x1040, buf, sizeof(buf)), "bpf_prog_c_new+0x0");
	CHECK_STR(symtab_format(&t, 0x107f, buf, sizeof(buf)), "bpf_prog_c_new+0x3f");
	CHECK_STR(symtab_format(&t, 0x1080, buf, sizeof(buf)), "bpf_prog_a_old+0x80");
	CHECK_STR(symtab_format(&t, 0x10ff, buf, sizeof(buf)), "bpf_prog_a_old+0xff");

	/* newer program across the end of one and the start of the next */
	CHECK_EQ(symtab_add_range(&t, 0x10f0, 0x120, "bpf_prog_d_wide"), 1);
	CHECK_STR(symtab_format(&t, 0x10ef, buf, sizeof(buf)), "bpf_prog_a_old+0xef");
	CHECK_STR(symtab_format(&t, 0x10f0, buf, sizeof(buf)), "bpf_prog_d_wide+0x0");
	CHECK_STR(symtab_format(&t, 0x120f, buf, sizeof(buf)), "bpf_prog_d_wide+0x11f");
	CHECK_STR(symtab_format(&t, 0x1210, buf, sizeof(buf)), "bpf_prog_b_next+0x10");
	CHECK_STR(symtab_format(&t, 0x1040, buf, sizeof(buf)), "bpf_prog_c_new+0x0");

	/* a newer one covering everything replaces all of them */
	CHECK_EQ(symtab_add_range(&t, 0x0800, 0x1000, "bpf_prog_e_all"), 1);
	CHECK_EQ(t.nr, 1);
	CHECK_STR(symtab_format(&t, 0x1280, buf, sizeof(buf)), "bpf_prog_e_all+0xa80");

	/* ranges stay sorted and disjoint whatever the insertion order */
	symtab_free(&t);
	for (int i = 9; i >= 0; i--) {
		char name[32];
		snprintf(name, sizeof(name), "bpf_prog_f%d", i);
		CHECK_EQ(symtab_add_range(&t, 0x10000 + (uint64_t)i * 0x100, 0x80, name), 1);
	}
	for (size_t i = 1; i < t.nr; i++)
		CHECK(t.ranges[i - 1].addr + t.ranges[i - 1].len <= t.ranges[i].addr);
	CHECK_STR(symtab_format(&t, 0x10510, buf, sizeof(buf)), "bpf_prog_f5+0x10");
	CHECK_STR(symtab_format(&t, 0x10590, buf, sizeof(buf)), "0x10590"); /* no _etext: may be text */
	CHECK_EQ(symtab_add_kallsyms_line(&t, "0000000000000800 T _etext"), 1);
	CHECK_STR(symtab_format(&t, 0x10590, buf, sizeof(buf)), "[bpf] 0x10590");

	/* a kallsyms reload keeps the ranges */
	CHECK_EQ(symtab_add_kallsyms_line(&t, "0000000000000100 T _stext"), 1);
	symtab_sort(&t);
	symtab_free_text(&t);
	CHECK_EQ(t.n, 0);
	CHECK_STR(symtab_format(&t, 0x10510, buf, sizeof(buf)), "bpf_prog_f5+0x10");
	symtab_free(&t);
}

TEST(stack_irq_frames_cuts_the_timer_interrupt)
{
	char f[12][48] = { "bpf_prog_6deef7357e7b4530_ks_sched_tick+0x58", "bpf_trampoline_6442+0x4c",
			   "update_process_times+0x5", "tick_nohz_handler+0x8f", "__hrtimer_run_queues+0x10e",
			   "hrtimer_interrupt+0xfa", "__sysvec_apic_timer_interrupt+0x52",
			   "sysvec_apic_timer_interrupt+0x6c", "asm_sysvec_apic_timer_interrupt+0x1a",
			   "bpf_prog_0e2b6bb1bd2ac7d5_ks_hog+0x30", "bpf_test_run+0x231", "bpf_prog_test_run_skb+0x3a1" };
	char g[3][48] = { "kallsyms_on_each_symbol+0x4a", "ks_livepatch_init+0x12", "do_one_initcall+0x5e" };

	CHECK_EQ(stack_irq_frames(f[0], sizeof(f[0]), 12), 9);
	CHECK_STR(f[9], "bpf_prog_0e2b6bb1bd2ac7d5_ks_hog+0x30");
	CHECK_EQ(stack_irq_frames(g[0], sizeof(g[0]), 3), 0);  /* not an interrupt's stack */
	CHECK_EQ(stack_irq_frames(f[0], sizeof(f[0]), 8), 0);  /* stub cut off by the depth */
}

TEST(symtab_module_frames)
{
	struct symtab t;
	char buf[128];

	symtab_init(&t);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffff81000000 T _text"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffff82000000 T _etext"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffffc0100000 t nft_do_chain\t[nf_tables]"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffffc0100400 T nft_immediate_eval\t[nf_tables]"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffffc0200000 t ftrace_trampoline\t[__builtin__ftrace]"), 1);
	CHECK_EQ(symtab_add_kallsyms_line(&t, "ffffffffc0300000 d nft_data\t[nf_tables]"), 0);
	symtab_sort(&t);
	/* a module's function: name, offset and the module, as perf shows it */
	CHECK_STR(symtab_format(&t, 0xffffffffc0100012ULL, buf, sizeof(buf)), "nft_do_chain+0x12 [nf_tables]");
	CHECK_STR(symtab_format(&t, 0xffffffffc0100800ULL, buf, sizeof(buf)),
		  "nft_immediate_eval+0x400 [nf_tables]");
	/* ftrace text keeps its one-page bound and no module name */
	CHECK_STR(symtab_format(&t, 0xffffffffc0200010ULL, buf, sizeof(buf)), "ftrace_trampoline+0x10");
	/* past a module's last function by more than SYM_MOD_MAX: unknown */
	CHECK_STR(symtab_format(&t, 0xffffffffc0180000ULL, buf, sizeof(buf)), "0xffffffffc0180000");
	uint64_t off;
	const struct sym *s = symtab_lookup(&t, 0xffffffffc0100004ULL, &off);
	REQUIRE(s);
	CHECK_STR(s->mod, "nf_tables");
	CHECK_EQ(s->kind, SYM_MOD);
	symtab_free(&t);
}
