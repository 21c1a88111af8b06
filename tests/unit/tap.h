/* tap.h - a minimal TAP producer for adpki's unit tests, so that the
 * automake harness counts every check.  Plan is printed at the end. */
#ifndef ADPKI_TAP_H
#define ADPKI_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline int
tap_ok(int cond, const char *file, int line, const char *what)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, what);
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return cond;
}

#define OK(cond, what) tap_ok((cond) ? 1 : 0, __FILE__, __LINE__, (what))

/* String equality with both values shown on failure. */
#define IS_STR(got, want, what) do { \
	const char *g_ = (got), *w_ = (want); \
	int c_ = (g_ != NULL && w_ != NULL) ? strcmp(g_, w_) == 0 : g_ == w_; \
	if (!tap_ok(c_, __FILE__, __LINE__, (what))) \
		printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

#define IS_INT(got, want, what) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!tap_ok(g_ == w_, __FILE__, __LINE__, (what))) \
		printf("#   got:  %lld\n#   want: %lld\n", g_, w_); \
} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}

#endif
