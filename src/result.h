/* result.h - result categories and the error carrier used by all library code.
 *
 * Library code never prints and never exits: it fills an adpki_error and
 * returns its category.  Only the command layer (main.c, cmd-*.c) turns a
 * category into a message on stderr and an exit status.  The numeric values
 * ARE the documented exit codes (man/adpki.1, EXIT STATUS). */
#ifndef ADPKI_RESULT_H
#define ADPKI_RESULT_H

#include <stddef.h>

typedef enum {
	ADPKI_OK = 0,              /* success */
	ADPKI_CHANGES = 1,         /* --exit-code: the plan has changes */
	ADPKI_ERR_USAGE = 2,       /* bad command line */
	ADPKI_ERR_UNEXPECTED = 3,  /* out of memory, internal error */
	ADPKI_ERR_DIRECTORY = 4,   /* server unreachable, LDAP error */
	ADPKI_ERR_CONFIG = 5,      /* nothing to connect to, unreadable input */
	ADPKI_ERR_CREDENTIALS = 6, /* no/expired ticket, insufficient access */
} adpki_result;

#define ADPKI_ERROR_MAX 2048

typedef struct {
	adpki_result code;
	char message[ADPKI_ERROR_MAX];
} adpki_error;

/* Sets err (if non-NULL) to code and a printf-style message; returns code.
 * A later call overwrites an earlier one. */
adpki_result adpki_fail(adpki_error *err, adpki_result code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes an existing message with "context: ", keeps the code. */
adpki_result adpki_fail_context(adpki_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Out-of-memory shortcut. */
adpki_result adpki_fail_oom(adpki_error *err);

/* Optional progress/verbose sink: library code reports what it is doing
 * through this (for -v); NULL means silent. */
typedef void (*adpki_log_fn)(void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

typedef struct {
	adpki_log_fn fn;
	void *ctx;
} adpki_logger;

#define ADPKI_LOG(lg, ...) \
	do { if ((lg) != NULL && (lg)->fn != NULL) (lg)->fn((lg)->ctx, __VA_ARGS__); } while (0)

#endif
