/* fuzz_recfmt.c — recording lines (lib/recfmt.h), any bytes, split at
 * newlines as the file reader splits them: every line decodes or is
 * refused with a reason; a decoded sample stays within the CPUs its start
 * record declared, a stall's CPU among them, its lists within bounds. */
#include "fuzz.h"
#include "lib/recfmt.h"

static struct rec_reader reader;
static struct rec_item item;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rec_reader_init(&reader);
	while (size) {
		char *line = fuzz_field(&data, &size);
		if (rec_decode(&reader, line, &item) < 0) {
			FUZZ_CHECK(reader.err[0] != '\0');
			FUZZ_CHECK(memchr(reader.err, '\0', sizeof(reader.err)) != NULL);
			free(line);
			break;
		}
		FUZZ_CHECK(reader.ncpus <= REC_MAX_CPUS);
		if (item.type == REC_SAMPLE)
			FUZZ_CHECK(item.sample.ncpus <= reader.ncpus && item.sample.cpu == reader.cpu);
		if (item.type == REC_STALL) {
			const struct eng_stall *s = &item.stall.s;
			FUZZ_CHECK(s->cpu >= 0 && (unsigned)s->cpu < reader.ncpus);
			FUZZ_CHECK(s->n_tasks <= ENG_MAX_TASKS && s->n_frames <= ENG_MAX_FRAMES);
			FUZZ_CHECK(s->end_ns >= s->start_ns);
			for (unsigned i = 0; i < s->n_frames; i++)
				FUZZ_CHECK(memchr(s->frames[i], '\0', ENG_FRAME_LEN) != NULL);
		}
		if (item.type == REC_KMSG)
			FUZZ_CHECK(memchr(item.text, '\0', sizeof(item.text)) != NULL);
		free(line);
	}
	return 0;
}
