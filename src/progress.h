/* progress.h - the "done/total, rate" line a long write shows on a
 * terminal (command layer).  Only when stderr is a terminal and the batch
 * is long: never in pipes, files or JSON output. */
#ifndef ADPKI_PROGRESS_H
#define ADPKI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Batches at most this long finish too fast to need a progress line. */
#define PROGRESS_MIN_OPS 200

typedef struct {
	bool on;
	bool shown;                /* a line is on the terminal now */
	size_t total, done;
	struct timespec start, drawn;
} progress_meter;

/* Turns the meter on when wanted is true, stderr is a terminal and total
 * exceeds PROGRESS_MIN_OPS. */
void progress_start(progress_meter *m, size_t total, bool wanted);
/* One more operation settled; redraws at most five times a second. */
void progress_step(progress_meter *m);
/* Erases the line (before anything else is printed to the terminal). */
void progress_clear(progress_meter *m);
/* Erases the line for good. */
void progress_end(progress_meter *m);

#endif
