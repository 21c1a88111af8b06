/* progress.c - see progress.h. */
#include "config.h"
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REDRAW_SECONDS 0.2

static double
seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
progress_start(progress_meter *m, size_t total, bool wanted)
{
	memset(m, 0, sizeof *m);
	m->total = total;
	m->on = wanted && total > PROGRESS_MIN_OPS && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &m->start);
	m->drawn = m->start;
}

static void
draw(progress_meter *m, const struct timespec *now)
{
	double elapsed = seconds_between(&m->start, now);

	fprintf(stderr, "\r\033[Kadpki: %zu/%zu operations (%zu%%), %.0f/s", m->done, m->total,
	        m->total ? m->done * 100 / m->total : 100,
	        elapsed > 0 ? (double)m->done / elapsed : 0.0);
	fflush(stderr);
	m->shown = true;
	m->drawn = *now;
}

void
progress_step(progress_meter *m)
{
	struct timespec now;

	if (!m->on)
		return;
	m->done++;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (seconds_between(&m->drawn, &now) >= REDRAW_SECONDS || m->done == m->total)
		draw(m, &now);
}

void
progress_clear(progress_meter *m)
{
	if (!m->on || !m->shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	m->shown = false;
}

void
progress_end(progress_meter *m)
{
	progress_clear(m);
	m->on = false;
}
