/* apply.c - executing a plan with requests kept in flight, "someone got
 * there first" handled as success, and reading back what was written (see
 * apply.h).
 *
 * Why a window: over a WAN link each request waits a round trip for its
 * answer; sending the next before the previous is answered makes a batch
 * cost about n/window round trips instead of n.  LDAP lets a client have
 * many requests outstanding on one connection; each answer names its
 * request.  Two requests on one object are never in flight together, so
 * the order of changes to an object is the plan's. */
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

/* --- requests in flight --------------------------------------------------- */

typedef struct {
	int msgid;
	size_t first, end;   /* the plan operations the request carries */
	bool create;         /* an add (create-object), else a modify */
} flight;

typedef struct {
	apply_run *run;
	flight *f;
	size_t n, cap;
	adpki_result rc;     /* the first failure */
	adpki_error *err;    /* receives the first failure's message */
	adpki_error later;   /* messages of failures after the first */
	bool stopped;        /* the connection is gone or did not answer */
} engine;

static adpki_error *
engine_err(engine *e)
{
	return e->rc == ADPKI_OK ? e->err : &e->later;
}

static void
engine_fail(engine *e, adpki_result rc)
{
	if (e->rc == ADPKI_OK)
		e->rc = rc;
}

static void
settle_range(apply_run *run, size_t first, size_t end, apply_status st, const char *note)
{
	size_t i;

	for (i = first; i < end; i++)
		apply_settle(run, i, st, note);
}

/* The connection is gone (or silent): what is in flight may or may not
 * have been applied, and nothing more can be sent. */
static void
engine_stop(engine *e, const char *why)
{
	size_t k;

	for (k = 0; k < e->n; k++)
		settle_range(e->run, e->f[k].first, e->f[k].end, APPLY_UNANSWERED, why);
	e->n = 0;
	e->stopped = true;
}

static void
send_unit(engine *e, size_t first, size_t end, bool create)
{
	apply_run *run = e->run;
	const plan_op *op = &run->p->ops[first];
	ldap_mods m;
	int lrc, msgid = -1;

	if (!(create ? apply_mods_for_create(&m, op)
	             : apply_mods_for_values(&m, run->p, first, end))) {
		engine_fail(e, adpki_fail_oom(engine_err(e)));
		return;
	}
	if (create)
		ADPKI_LOG(run->log, "add %s", op->dn);
	else
		ADPKI_LOG(run->log, "modify %s (%zu value change%s)", op->dn, end - first,
		          end - first == 1 ? "" : "s");
	apply_clear_diag(run);
	lrc = create ? ldap_add_ext(run->c->ld, op->dn, m.ptrs, NULL, NULL, &msgid)
	             : ldap_modify_ext(run->c->ld, op->dn, m.ptrs, NULL, NULL, &msgid);
	apply_mods_free(&m);
	if (lrc != LDAP_SUCCESS) {
		/* Not sent: these operations stay PENDING. */
		engine_fail(e, apply_write_failed(run, lrc, create ? "adding" : "modify of", op->dn,
		                                  NULL, engine_err(e)));
		engine_stop(e, "sent, but the connection was lost before the answer: it may have "
		               "been applied");
		return;
	}
	conn_count_sent(run->c, CONN_OP_WRITE, msgid);
	e->f[e->n++] = (flight){ msgid, first, end, create };
}

static void
handle_answer(engine *e, const flight *fl, int code, const char *diag)
{
	apply_run *run = e->run;
	const char *dn = run->p->ops[fl->first].dn;
	adpki_error *err = engine_err(e);
	adpki_result rc = ADPKI_OK;

	if (code == LDAP_SUCCESS) {
		settle_range(run, fl->first, fl->end, APPLY_DONE, NULL);
		return;
	}
	/* Another writer changed the object since it was read: the request
	 * was refused as a whole (LDAP operations are atomic), so nothing of
	 * it was applied; redo it the careful way. */
	if (fl->create && code == LDAP_ALREADY_EXISTS)
		rc = apply_create_exists(run, fl->first, err);
	else if (!fl->create && (code == LDAP_TYPE_OR_VALUE_EXISTS ||
	                         code == LDAP_NO_SUCH_ATTRIBUTE || code == LDAP_NO_SUCH_OBJECT))
		rc = apply_values_one_by_one(run, fl->first, fl->end, err);
	else {
		rc = apply_write_failed(run, code, fl->create ? "adding" : "modify of", dn, diag, err);
		settle_range(run, fl->first, fl->end, APPLY_FAILED, err->message);
	}
	if (rc != ADPKI_OK)
		engine_fail(e, rc);
}

/* Waits for the answer to msgid (or to any request: LDAP_RES_ANY). */
static void
collect(engine *e, int msgid)
{
	apply_run *run = e->run;
	struct timeval tv = { run->c->timeout, 0 };
	LDAPMessage *res = NULL;
	char *diag = NULL;
	int t, code = LDAP_OTHER, lrc = LDAP_SERVER_DOWN;
	size_t k;

	t = ldap_result(run->c->ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (t <= 0) {
		const char *dn = e->n > 0 ? run->p->ops[e->f[0].first].dn : NULL;
		ldap_msgfree(res);
		if (t == 0)
			engine_fail(e, adpki_fail(engine_err(e), ADPKI_ERR_DIRECTORY,
			                          "no answer from %s within %d s to %zu write%s in flight "
			                          "(--timeout sets the limit)", run->c->server,
			                          run->c->timeout, e->n, e->n == 1 ? "" : "s"));
		else {
			ldap_get_option(run->c->ld, LDAP_OPT_RESULT_CODE, &lrc);
			engine_fail(e, apply_write_failed(run, lrc, "writing", dn, NULL, engine_err(e)));
		}
		engine_stop(e, t == 0 ? "sent, but not answered in time: it may have been applied"
		                      : "sent, but the connection was lost before the answer: it may "
		                        "have been applied");
		return;
	}
	for (k = 0; k < e->n && e->f[k].msgid != ldap_msgid(res); k++)
		;
	if (k == e->n) {
		ldap_msgfree(res);   /* not ours (cannot happen: every request is tracked) */
		return;
	}
	if (ldap_parse_result(run->c->ld, res, &code, NULL, &diag, NULL, NULL, 1) != LDAP_SUCCESS)
		code = LDAP_DECODING_ERROR;
	conn_count_answered(run->c, e->f[k].msgid);
	{
		flight fl = e->f[k];
		e->f[k] = e->f[--e->n];
		handle_answer(e, &fl, code, diag);
	}
	ldap_memfree(diag);
}

/* The flight that carries a request on dn, or -1. */
static long
in_flight_on(const engine *e, const char *dn)
{
	size_t k;

	for (k = 0; k < e->n; k++) {
		if (strcasecmp(e->run->p->ops[e->f[k].first].dn, dn) == 0)
			return (long)k;
	}
	return -1;
}

static void
drain(engine *e)
{
	while (e->n > 0 && !e->stopped)
		collect(e, LDAP_RES_ANY);
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

static void
run_unit(engine *e, size_t i, size_t end, size_t window)
{
	apply_run *run = e->run;
	const plan_op *op = &run->p->ops[i];
	long busy;

	if (op->kind == PLAN_DELETE_OBJECT) {
		/* Several dependent steps (apply-delete.c): one at a time, after
		 * everything sent before it is settled. */
		drain(e);
		if (e->rc == ADPKI_OK && !e->stopped && apply_delete_object(run, i, e->err) != ADPKI_OK)
			engine_fail(e, e->err->code);
		return;
	}
	while ((busy = in_flight_on(e, op->dn)) >= 0 && e->rc == ADPKI_OK && !e->stopped)
		collect(e, e->f[busy].msgid);
	while (e->n >= window && e->rc == ADPKI_OK && !e->stopped)
		collect(e, LDAP_RES_ANY);
	if (e->rc == ADPKI_OK && !e->stopped)
		send_unit(e, i, end, op->kind == PLAN_CREATE_OBJECT);
}

adpki_result
apply_plan(conn *c, const plan *p, const adpki_logger *log, apply_progress_fn progress,
           void *ctx, apply_report **out, adpki_error *err)
{
	apply_run run = { c, p, report_new(p->op_count), log, progress, ctx,
	                  calloc(p->op_count + 1, sizeof(bool)), 0 };
	size_t window = c->window > 0 ? (size_t)c->window : 1;
	engine e = { &run, calloc(window, sizeof(flight)), 0, window, ADPKI_OK, err,
	             { ADPKI_OK, "" }, false };
	size_t i = 0, end;

	*out = run.r;
	if (run.r == NULL || run.settled == NULL || e.f == NULL) {
		free(run.settled);
		free(e.f);
		return adpki_fail_oom(err);
	}
	while (i < p->op_count && e.rc == ADPKI_OK && !e.stopped) {
		if (!unit_end(p, i, &end)) {
			engine_fail(&e, adpki_fail(err, ADPKI_ERR_UNEXPECTED,
			                           "plan operation %zu on %s has %zu values", i,
			                           p->ops[i].dn, p->ops[i].value_count));
			break;
		}
		run_unit(&e, i, end, window);
		i = end;
	}
	/* After a failure too: what is in flight was sent and may be applied;
	 * its answers say which. */
	drain(&e);
	report_the_rest(&run);
	report_count(run.r);
	free(run.settled);
	free(e.f);
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
