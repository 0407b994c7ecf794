/* fuzz_symtab.c — /proc/kallsyms lines: each line kept or refused, the
 * table sorted and looked up at the addresses it holds and around them;
 * a formatted address fits its buffer. Also stack_irq_frames over the
 * names as frames. */
#include "fuzz.h"
#include "lib/symtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symtab t;
	char buf[96], frames[8][64];
	unsigned nf = 0;

	symtab_init(&t);
	while (size) {
		char *line = fuzz_field(&data, &size);
		int r = symtab_add_kallsyms_line(&t, line);
		FUZZ_CHECK(r >= -22 && r <= 1);
		if (nf < 8)
			snprintf(frames[nf++], sizeof(frames[0]), "%s", line);
		free(line);
	}
	symtab_sort(&t);
	for (size_t i = 0; i < t.n && i < 64; i++) {
		uint64_t addrs[3] = { t.syms[i].addr, t.syms[i].addr + 1, t.syms[i].addr - 1 };
		for (int k = 0; k < 3; k++) {
			uint64_t off = 0;
			const struct sym *s = symtab_lookup(&t, addrs[k], &off);
			if (s)
				FUZZ_CHECK(s->name != NULL);
			symtab_near_bpf(&t, addrs[k]);
			symtab_format(&t, addrs[k], buf, sizeof(buf));
			FUZZ_CHECK(strlen(buf) < sizeof(buf));
		}
	}
	FUZZ_CHECK(stack_irq_frames(frames[0], sizeof(frames[0]), nf) <= nf);
	symtab_free(&t);
	return 0;
}
