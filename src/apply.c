/* apply.c - executing a plan: the report, the walk through the plan's
 * operations (each sent through the engine of apply-engine.c, runs of
 * object deletions through apply-delete.c), and reading back what was
 * written (see apply.h). */
#include "config.h"
#include "apply-internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store.h"

const char *
apply_status_name(apply_status s)
{
	switch (s) {
	case APPLY_DONE: return "done";
	case APPLY_ALREADY: return "already";
	case APPLY_KEPT: return "kept";
	case APPLY_FAILED: return "failed";
	case APPLY_UNANSWERED: return "unanswered";
	default: return "not done";
	}
}

void
apply_report_free(apply_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->count; i++)
		free(r->note[i]);
	free(r->note);
	free(r->status);
	free(r);
}

static apply_report *
report_new(size_t count)
{
	apply_report *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	r->count = count;
	r->status = calloc(count + 1, sizeof *r->status);
	r->note = calloc(count + 1, sizeof *r->note);
	if (r->status == NULL || r->note == NULL) {
		apply_report_free(r);
		return NULL;
	}
	return r;
}

static void
report_count(apply_report *r)
{
	size_t k;

	for (k = 0; k < r->count; k++) {
		switch (r->status[k]) {
		case APPLY_DONE: r->done++; break;
		case APPLY_ALREADY: r->already++; break;
		case APPLY_KEPT: r->kept++; break;
		case APPLY_FAILED: r->failed++; break;
		case APPLY_UNANSWERED: r->unanswered++; break;
		default: r->pending++; break;
		}
	}
}

void
apply_settle(apply_run *run, size_t i, apply_status st, const char *note)
{
	run->r->status[i] = st;
	free(run->r->note[i]);
	run->r->note[i] = note ? strdup(note) : NULL;
	run->settled[i] = true;
	while (run->reported < run->p->op_count && run->settled[run->reported]) {
		size_t k = run->reported++;
		if (run->progress != NULL)
			run->progress(run->ctx, run->p, k, run->r->status[k], run->r->note[k]);
	}
}

/* At the end: what settled after an operation that never did (one not
 * sent because an earlier one failed) is still reported, in order. */
static void
report_the_rest(apply_run *run)
{
	size_t k;

	for (k = run->reported; k < run->p->op_count; k++) {
		if (run->settled[k] && run->progress != NULL)
			run->progress(run->ctx, run->p, k, run->r->status[k], run->r->note[k]);
	}
	run->reported = run->p->op_count;
}

adpki_result
apply_write_failed(apply_run *run, int rc, const char *op, const char *dn, const char *diag,
                   adpki_error *err)
{
	conn_ldap_fail(run->c, err, rc, op, dn, diag);
	if (rc == LDAP_INSUFFICIENT_ACCESS)
		adpki_fail(err, ADPKI_ERR_CREDENTIALS,
		           "%.3000s; writing Public Key Services needs Enterprise Admins, or rights "
		           "delegated on %s", err->message, run->c->pks_dn);
	return err->code;
}

static bool
is_value_op(const plan_op *op)
{
	return (op->kind == PLAN_ADD_VALUE || op->kind == PLAN_DELETE_VALUE) && op->value_count == 1;
}

/* The operations [i, *end) that go in one request: a create, or the
 * value changes of one object.  False for an operation apply cannot send. */
static bool
unit_end(const plan *p, size_t i, size_t *end)
{
	const plan_op *op = &p->ops[i];

	*end = i + 1;
	if (op->kind == PLAN_CREATE_OBJECT || op->kind == PLAN_DELETE_OBJECT)
		return true;
	if (!is_value_op(op))
		return false;
	while (*end < p->op_count && is_value_op(&p->ops[*end]) &&
	       strcasecmp(op->dn, p->ops[*end].dn) == 0)
		(*end)++;
	return true;
}

/* A run of delete-object operations: [i, *end), at most APPLY_DELETE_BATCH. */
static size_t
delete_run_end(const plan *p, size_t i)
{
	size_t end = i + 1;

	while (end < p->op_count && end - i < APPLY_DELETE_BATCH &&
	       p->ops[end].kind == PLAN_DELETE_OBJECT)
		end++;
	return end;
}

adpki_result
apply_plan(conn *c, const plan *p, const adpki_logger *log, apply_progress_fn progress,
           void *ctx, apply_report **out, adpki_error *err)
{
	apply_run run = { c, p, report_new(p->op_count), log, progress, ctx,
	                  calloc(p->op_count + 1, sizeof(bool)), NULL, 0 };
	apply_engine e;
	size_t i = 0, end;

	*out = run.r;
	if (run.r == NULL || run.settled == NULL || !apply_engine_init(&e, &run, err)) {
		free(run.settled);
		apply_engine_free(&e);
		return adpki_fail_oom(err);
	}
	while (i < p->op_count && apply_engine_ok(&e)) {
		if (p->ops[i].kind == PLAN_DELETE_OBJECT) {
			end = delete_run_end(p, i);
			apply_delete_batch(&e, i, end);
		} else if (unit_end(p, i, &end)) {
			apply_engine_send(&e, i, end, p->ops[i].kind == PLAN_CREATE_OBJECT
			                              ? FLIGHT_CREATE : FLIGHT_MODIFY);
		} else {
			apply_engine_fail(&e, adpki_fail(err, ADPKI_ERR_UNEXPECTED,
			                                 "plan operation %zu on %s has %zu values", i,
			                                 p->ops[i].dn, p->ops[i].value_count));
			break;
		}
		i = end;
	}
	/* After a failure too: what is in flight was sent and may be applied;
	 * its answers say which. */
	apply_engine_drain(&e);
	report_the_rest(&run);
	report_count(run.r);
	free(run.settled);
	free(run.del_state);
	apply_engine_free(&e);
	return e.rc;
}

/* --- read-back ---------------------------------------------------------- */

static bool
object_has_value(const store_object *o, const plan_value *v)
{
	size_t k;

	for (k = 0; o != NULL && k < o->value_count; k++) {
		const store_value *sv = &o->values[k];
		if (strcmp(sv->attribute, v->attribute) == 0 && sv->len == v->len &&
		    memcmp(sv->bytes, v->bytes, v->len) == 0)
			return true;
	}
	return false;
}

static adpki_result
verify_op(const plan_op *op, apply_status st, const snapshot *s, adpki_error *err)
{
	const store_object *o = snapshot_find(s, op->dn);
	size_t k;

	if (op->kind == PLAN_DELETE_OBJECT && st != APPLY_KEPT) {
		if (o == NULL)
			return ADPKI_OK;
		/* Another writer may have created it again since the delete, for
		 * values of its own (a publish racing this removal): that is
		 * theirs to keep.  What this run removed must still be absent,
		 * which the loop below checks. */
		if (!op->values_known)
			return adpki_fail(err, ADPKI_ERR_DIRECTORY,
			                  "read-back: %s still exists after it was deleted", op->dn);
	}
	for (k = 0; k < op->value_count; k++) {
		const plan_value *v = &op->values[k];
		bool want_present = op->kind == PLAN_CREATE_OBJECT || op->kind == PLAN_ADD_VALUE;
		if (v->placeholder)
			continue;  /* one-byte values are not read back as values */
		if (want_present && !object_has_value(o, v))
			return adpki_fail(err, ADPKI_ERR_DIRECTORY,
			                  "read-back: %s does not hold %s %s after it was added", op->dn,
			                  v->attribute, v->sha1);
		if (!want_present && object_has_value(o, v))
			return adpki_fail(err, ADPKI_ERR_DIRECTORY,
			                  "read-back: %s still holds %s %s after it was removed", op->dn,
			                  v->attribute, v->sha1);
	}
	return ADPKI_OK;
}

static int
dn_order(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

adpki_result
apply_verify(conn *c, const plan *p, const apply_report *r, const adpki_logger *log,
             adpki_error *err)
{
	const char **dns = calloc(p->op_count + 1, sizeof *dns);
	size_t n = 0, i;
	snapshot *s = NULL;
	adpki_result rc;

	if (dns == NULL)
		return adpki_fail_oom(err);
	/* Each object once (sorted, so that duplicates are neighbours). */
	for (i = 0; i < p->op_count; i++)
		dns[i] = p->ops[i].dn;
	if (p->op_count > 1)
		qsort(dns, p->op_count, sizeof *dns, dn_order);
	for (i = 0; i < p->op_count; i++) {
		if (n == 0 || strcasecmp(dns[n - 1], dns[i]) != 0)
			dns[n++] = dns[i];
	}
	ADPKI_LOG(log, "reading back %zu objects from %s", n, c->server);
	rc = snapshot_read_dns(c, dns, n, log, &s, err);
	free(dns);
	if (rc != ADPKI_OK)
		return adpki_fail_context(err, "read-back after writing");
	for (i = 0; i < p->op_count && rc == ADPKI_OK; i++) {
		if (r->status[i] == APPLY_DONE || r->status[i] == APPLY_ALREADY ||
		    r->status[i] == APPLY_KEPT)
			rc = verify_op(&p->ops[i], r->status[i], s, err);
	}
	snapshot_free(s);
	return rc;
}
