/* fuzz_kmsg.c — /dev/kmsg records ("prio,seq,usec,flags;text"), any
 * bytes: a parsed record has a level 0-7, a NUL-ended text within its
 * buffer, and classifies without reading past it. */
#include "fuzz.h"
#include "lib/kmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct kmsg_rec r;
	enum kmsg_class c;

	memcpy(buf, data, size);
	memset(&r, 0xa5, sizeof(r));
	if (kmsg_parse(buf, size, &r) == 0) {
		FUZZ_CHECK(r.level >= 0 && r.level <= 7 && r.facility >= 0);
		FUZZ_CHECK(memchr(r.text, '\0', sizeof(r.text)) != NULL);
		for (const char *t = r.text; *t; t++)
			FUZZ_CHECK((unsigned char)*t >= 0x20 && *t != 0x7f);
		FUZZ_CHECK(r.flag == '-' || r.flag == 'c' || r.flag == '+');
		c = kmsg_classify(r.text);
		FUZZ_CHECK(c >= KMSG_OTHER && c < KMSG__COUNT && kmsg_class_name(c));
	}
	free(buf);
	buf = fuzz_cstr(data, size);
	c = kmsg_classify(buf);
	FUZZ_CHECK(c >= KMSG_OTHER && c < KMSG__COUNT);
	free(buf);
	return 0;
}
