/* test_profile.c — the profile's pure aggregation: frame names,
 * per-symbol rows and merged (folded) stacks. */
#include <regex.h>
#include <stdlib.h>

#include "lib/profagg.h"
#include "test.h"

TEST(prof_frame_func)
{
	char b[64];

	CHECK_STR(prof_frame_func("clear_user_erms+0x12", b, sizeof(b)), "clear_user_erms");
	CHECK_STR(prof_frame_func("nft_do_chain+0x1a2 [nf_tables]", b, sizeof(b)), "nft_do_chain [nf_tables]");
	CHECK_STR(prof_frame_func("[libc.so.6]+0x2a1c0", b, sizeof(b)), "[libc.so.6]+0x2a1c0");
	CHECK_STR(prof_frame_func("0xffffffff81000000", b, sizeof(b)), "[unknown]");
	CHECK_STR(prof_frame_func("0x7f0012345678", b, sizeof(b)), "[unknown]");
	CHECK_STR(prof_frame_func("[bpf] 0xffffffffa0001042", b, sizeof(b)), "[bpf] 0xffffffffa0001042");
	CHECK_STR(prof_frame_func("x+0x1", b, 2), "x");
}

static char *kf1[] = { "clear_user_erms+0x10", "read_zero+0x40", "vfs_read+0x99" };
static char *kf2[] = { "clear_user_erms+0x14", "read_zero+0x40", "vfs_read+0x99" };
static char *kf3[] = { "nft_do_chain+0x1a2 [nf_tables]" };
static char *uf1[] = { "read+0x12", "hot loop+0x4", "main+0x20" };
static char *uf2[] = { "spin_user+0x3", "main+0x30" };

static const struct prof_stack stacks[] = {
	{ "profload", 10, 10, 30, kf1, 3, uf1, 3 },
	{ "profload", 11, 10, 20, kf2, 3, uf1, 3 }, /* another thread, another offset */
	{ "profload", 10, 10, 45, NULL, 0, uf2, 2 },
	{ "swapper/0", 0, 0, 5, kf3, 1, NULL, 0 },
	{ "lost", 7, 7, 1, NULL, 0, NULL, 0 },
};

TEST(prof_sym_rows)
{
	struct prof_row *r;
	size_t n;

	REQUIRE(prof_sym_rows(stacks, 5, &r, &n) == 0);
	REQUIRE(n == 4);
	CHECK_STR(r[0].comm, "profload");
	CHECK_STR(r[0].sym, "clear_user_erms"); /* 30 + 20 over threads and offsets */
	CHECK_U64(r[0].count, 50);
	CHECK(r[0].kernel);
	CHECK_STR(r[1].sym, "spin_user");
	CHECK(!r[1].kernel);
	CHECK_STR(r[2].sym, "nft_do_chain [nf_tables]");
	CHECK_STR(r[3].sym, "[unknown]");
	prof_rows_free(r, n);
}

TEST(prof_folded)
{
	struct prof_line *l;
	size_t n;
	regex_t re;

	REQUIRE(prof_fold(stacks, 5, true, &l, &n) == 0);
	REQUIRE(n == 4);
	CHECK_STR(l[0].text, "profload;main;hot_loop;read;vfs_read;read_zero;clear_user_erms");
	CHECK_U64(l[0].count, 50);
	CHECK_EQ(l[0].nk, 3);
	CHECK_STR(l[1].text, "profload;main;spin_user");
	CHECK_STR(l[2].text, "swapper/0;nft_do_chain_[nf_tables]");
	CHECK_STR(l[3].text, "lost");
	REQUIRE(regcomp(&re, "^[^ ]+ [0-9]+$", REG_EXTENDED | REG_NOSUB) == 0);
	for (size_t i = 0; i < n; i++) {
		char line[512];
		snprintf(line, sizeof(line), "%s %llu", l[i].text, (unsigned long long)l[i].count);
		CHECK(regexec(&re, line, 0, NULL, 0) == 0);
	}
	regfree(&re);
	prof_lines_free(l, n);
	/* for text: names as they read */
	REQUIRE(prof_fold(stacks, 5, false, &l, &n) == 0);
	CHECK_STR(l[0].text, "profload;main;hot loop;read;vfs_read;read_zero;clear_user_erms");
	CHECK_STR(l[2].text, "swapper/0;nft_do_chain [nf_tables]");
	prof_lines_free(l, n);
}
