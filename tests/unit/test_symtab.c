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
	CHECK_STR(symtab_format(&t, 0xffffffffa0001042ULL, buf, sizeof(buf)),
		  "bpf_prog_6deef7357e7b4530_ks_spin+0x42");
	CHECK_STR(symtab_format(&t, 0x1000, buf, sizeof(buf)), "0x1000");
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
