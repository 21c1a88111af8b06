/* apply.h - executing a plan against the directory, and reading back.
 *
 * The plan is executed as it stands: value-level add/delete modifications,
 * object adds and deletes, one LDAP operation per object where possible,
 * with up to c->window of them in flight at once (never two on one
 * object); answers are checked one by one and reported in plan order.
 * Another admin may be faster: a value that is already there (20), already
 * gone (16), or an object that already exists (68) is not an error when the
 * end state is what the plan asks for; it is reported as "already".
 * After the run, every touched object is read again from the same server;
 * anything the directory does not show is an error. */
#ifndef ADPKI_APPLY_H
#define ADPKI_APPLY_H

#include "conn.h"
#include "plan.h"
#include "result.h"

typedef enum {
	APPLY_PENDING = 0,  /* not attempted (an earlier failure stopped the run) */
	APPLY_DONE,         /* written by this run */
	APPLY_ALREADY,      /* the directory already held the end state */
	APPLY_KEPT,         /* delete-object: kept, another writer added values to it */
	APPLY_FAILED,       /* the server refused it */
	APPLY_UNANSWERED,   /* sent, but the connection was lost before the answer */
} apply_status;

typedef struct {
	apply_status *status;   /* one per plan operation */
	char **note;            /* one per operation: why (for ALREADY, KEPT, FAILED), or NULL */
	size_t count;
	size_t done, already, kept, failed, unanswered, pending;
} apply_report;

/* Called for each settled operation, in plan order (for the command layer
 * to print the plan line and its outcome as it happens). */
typedef void (*apply_progress_fn)(void *ctx, const plan *p, size_t op_index,
                                  apply_status status, const char *note);

/* Applies p.  At the first operation the server refuses, sends nothing
 * more, waits for the answers to what is in flight (those are DONE or
 * FAILED too), and returns the first error; the rest stay PENDING.  A lost
 * connection or an answer not given within c->timeout is
 * ADPKI_ERR_DIRECTORY, and what was in flight is UNANSWERED.  *out
 * receives the report in every case (free with apply_report_free). */
adpki_result apply_plan(conn *c, const plan *p, const adpki_logger *log,
                        apply_progress_fn progress, void *ctx,
                        apply_report **out, adpki_error *err);

/* Reads back every object p touched and checks the end state of each
 * operation that was DONE or ALREADY: added values present, removed values
 * absent, deleted objects gone (or KEPT, or created again by another writer
 * since the delete: then without the removed values).
 * Fails (ADPKI_ERR_DIRECTORY) naming the first discrepancy. */
adpki_result apply_verify(conn *c, const plan *p, const apply_report *r,
                          const adpki_logger *log, adpki_error *err);

void apply_report_free(apply_report *r);

const char *apply_status_name(apply_status s);

#endif
