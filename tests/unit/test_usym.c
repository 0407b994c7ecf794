/* test_usym.c — user-space symbolization's pure parts: /proc/PID/maps
 * lines and ELF-derived symbol tables. */
#include <errno.h>
#include <stdlib.h>

#include "lib/usym.h"
#include "test.h"

TEST(pmaps_lines)
{
	struct pmaps p = { 0 };
	const char *text =
		"55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 131 /usr/bin/prog\n"
		"55d0c0a02000-55d0c0a05000 r-xp 00002000 08:01 131 /usr/bin/prog\n"
		"7f0000001000-7f0000002000 rwxp 00000000 00:00 0 \n"
		"7f1c00000000-7f1c00100000 r-xp 00028000 08:01 99  /usr/lib/my lib.so (deleted)\n"
		"not a maps line\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

	CHECK_EQ(pmaps_parse(&p, text), 4);
	REQUIRE(p.n == 4);
	const struct pmap *m = pmaps_find(&p, 0x55d0c0a02010ULL);
	REQUIRE(m);
	CHECK_U64(m->pgoff, 0x2000);
	CHECK_STR(m->path, "/usr/bin/prog");
	CHECK_STR(pmap_name(m), "prog");
	m = pmaps_find(&p, 0x7f0000001800ULL);
	REQUIRE(m);
	CHECK_STR(pmap_name(m), "[anon]");
	m = pmaps_find(&p, 0x7f1c00000010ULL);
	REQUIRE(m);
	CHECK_STR(m->path, "/usr/lib/my lib.so (deleted)");
	CHECK(pmaps_find(&p, 0x55d0c0a00010ULL) == NULL); /* not executable: not kept */
	CHECK(pmaps_find(&p, 0x55d0c0a05000ULL) == NULL); /* end is exclusive */
	CHECK_STR(pmap_name(pmaps_find(&p, 0xffffffffff600000ULL)), "[vsyscall]");
	CHECK_EQ(pmaps_add_line(&p, "1000-0fff r-xp 0 00:00 0"), -EINVAL);
	pmaps_free(&p);
}

TEST(usymtab_lookup)
{
	struct usymtab t = { 0 };
	uint64_t v, off;

	CHECK_EQ(usymtab_add(&t, 0x1200, 0x40, "hot_loop"), 0);
	CHECK_EQ(usymtab_add(&t, 0x1100, 0x80, "main"), 0);
	CHECK_EQ(usymtab_add(&t, 0x1200, 0x40, "hot_loop_alias"), 0); /* .dynsym after .symtab */
	CHECK_EQ(usymtab_add(&t, 0x2000, 0, "nosize"), 0);
	CHECK_EQ(usymtab_add_seg(&t, 0x1000, 0x401000, 0x2000), 0);
	usymtab_sort(&t);
	CHECK_EQ(t.n, 3);
	CHECK_EQ(usymtab_vaddr(&t, 0x1210, &v), 0);
	CHECK_U64(v, 0x401210);
	CHECK_EQ(usymtab_vaddr(&t, 0x5000, &v), -ENOENT);
	/* a table without segments (addresses are file offsets) */
	const struct usym *s = usymtab_lookup(&t, 0x1210, &off);
	REQUIRE(s);
	CHECK_STR(s->name, "hot_loop");
	CHECK_U64(off, 0x10);
	CHECK(usymtab_lookup(&t, 0x1240, &off) == NULL); /* past hot_loop's size */
	CHECK(usymtab_lookup(&t, 0x10ff, &off) == NULL);
	s = usymtab_lookup(&t, 0x2100, &off);
	REQUIRE(s);
	CHECK_STR(s->name, "nosize");
	CHECK(usymtab_lookup(&t, 0x3001, &off) == NULL); /* no size: at most 4 KiB */
	usymtab_free(&t);
}
