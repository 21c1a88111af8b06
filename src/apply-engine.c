/* apply-engine.c - requests kept in flight (see apply-internal.h).
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

bool
apply_engine_init(apply_engine *e, apply_run *run, adpki_error *err)
{
	size_t window = run->c->window > 0 ? (size_t)run->c->window : 1;

	memset(e, 0, sizeof *e);
	e->run = run;
	e->err = err;
	e->cap = window;
	e->f = calloc(window, sizeof *e->f);
	return e->f != NULL;
}

void
apply_engine_free(apply_engine *e)
{
	free(e->f);
	e->f = NULL;
}

adpki_error *
apply_engine_err(apply_engine *e)
{
	return e->rc == ADPKI_OK ? e->err : &e->later;
}

void
apply_engine_fail(apply_engine *e, adpki_result rc)
{
	if (e->rc == ADPKI_OK)
		e->rc = rc;
}

bool
apply_engine_ok(const apply_engine *e)
{
	return e->rc == ADPKI_OK && !e->stopped;
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
engine_stop(apply_engine *e, const char *why)
{
	size_t k;

	for (k = 0; k < e->n; k++)
		settle_range(e->run, e->f[k].first, e->f[k].end, APPLY_UNANSWERED, why);
	e->n = 0;
	e->stopped = true;
}

/* Builds and sends one request; false (with the failure recorded) when
 * it could not be built or sent. */
static bool
send_request(apply_engine *e, size_t first, size_t end, flight_kind kind, int *msgid)
{
	apply_run *run = e->run;
	const plan_op *op = &run->p->ops[first];
	LDAP *ld = run->c->ld;
	ldap_mods m = { 0 };
	bool built = true;
	int lrc;

	switch (kind) {
	case FLIGHT_CREATE:
		built = apply_mods_for_create(&m, op);
		ADPKI_LOG(run->log, "add %s", op->dn);
		break;
	case FLIGHT_MODIFY:
		built = apply_mods_for_values(&m, run->p, first, end);
		ADPKI_LOG(run->log, "modify %s (%zu value change%s)", op->dn, end - first,
		          end - first == 1 ? "" : "s");
		break;
	case FLIGHT_EMPTY:
		built = apply_mods_for_emptying(&m, op, apply_lockable(op));
		ADPKI_LOG(run->log, "emptying %s%s", op->dn,
		          apply_lockable(op) ? " and locking it for deletion" : "");
		break;
	case FLIGHT_UNLOCK:
		built = apply_mods_for_unlock(&m);
		ADPKI_LOG(run->log, "unlocking %s (values arrived meanwhile: kept)", op->dn);
		break;
	case FLIGHT_DELETE:
		ADPKI_LOG(run->log, "delete %s", op->dn);
		break;
	}
	if (!built) {
		apply_engine_fail(e, adpki_fail_oom(apply_engine_err(e)));
		return false;
	}
	apply_clear_diag(run);
	if (kind == FLIGHT_CREATE)
		lrc = ldap_add_ext(ld, op->dn, m.ptrs, NULL, NULL, msgid);
	else if (kind == FLIGHT_DELETE)
		lrc = ldap_delete_ext(ld, op->dn, NULL, NULL, msgid);
	else
		lrc = ldap_modify_ext(ld, op->dn, m.ptrs, NULL, NULL, msgid);
	apply_mods_free(&m);
	if (lrc != LDAP_SUCCESS) {
		/* Not sent: these operations stay PENDING. */
		apply_engine_fail(e, apply_write_failed(run, lrc, "writing", op->dn, NULL,
		                                        apply_engine_err(e)));
		engine_stop(e, "sent, but the connection was lost before the answer: it may have "
		               "been applied");
		return false;
	}
	return true;
}

static void
handle_answer(apply_engine *e, const flight *fl, int code, const char *diag)
{
	bool create = fl->kind == FLIGHT_CREATE;
	apply_run *run = e->run;
	const char *dn = run->p->ops[fl->first].dn;
	adpki_error *err = apply_engine_err(e);
	adpki_result rc = ADPKI_OK;

	if (fl->kind != FLIGHT_CREATE && fl->kind != FLIGHT_MODIFY) {
		apply_delete_answer(e, fl, code, diag);
		return;
	}
	if (code == LDAP_SUCCESS) {
		settle_range(run, fl->first, fl->end, APPLY_DONE, NULL);
		return;
	}
	/* Another writer changed the object since it was read: the request
	 * was refused as a whole (LDAP operations are atomic), so nothing of
	 * it was applied; redo it the careful way. */
	if (create && code == LDAP_ALREADY_EXISTS)
		rc = apply_create_exists(run, fl->first, err);
	else if (!create && (code == LDAP_TYPE_OR_VALUE_EXISTS || code == LDAP_NO_SUCH_ATTRIBUTE ||
	                     code == LDAP_NO_SUCH_OBJECT))
		rc = apply_values_one_by_one(run, fl->first, fl->end, err);
	else {
		rc = apply_write_failed(run, code, create ? "adding" : "modify of", dn, diag, err);
		settle_range(run, fl->first, fl->end, APPLY_FAILED, err->message);
	}
	if (rc != ADPKI_OK)
		apply_engine_fail(e, rc);
}

/* Waits for the answer to msgid (or to any request: LDAP_RES_ANY). */
static void
collect(apply_engine *e, int msgid)
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
			apply_engine_fail(e, adpki_fail(apply_engine_err(e), ADPKI_ERR_DIRECTORY,
			                          "no answer from %s within %d s to %zu write%s in flight "
			                          "(--timeout sets the limit)", run->c->server,
			                          run->c->timeout, e->n, e->n == 1 ? "" : "s"));
		else {
			ldap_get_option(run->c->ld, LDAP_OPT_RESULT_CODE, &lrc);
			apply_engine_fail(e, apply_write_failed(run, lrc, "writing", dn, NULL, apply_engine_err(e)));
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
in_flight_on(const apply_engine *e, const char *dn)
{
	size_t k;

	for (k = 0; k < e->n; k++) {
		if (strcasecmp(e->run->p->ops[e->f[k].first].dn, dn) == 0)
			return (long)k;
	}
	return -1;
}

void
apply_engine_drain(apply_engine *e)
{
	while (e->n > 0 && !e->stopped)
		collect(e, LDAP_RES_ANY);
}

/* After a failure only the steps that finish work already begun go out
 * (e->finishing); nothing goes out on a connection that is gone. */
static bool
can_send(const apply_engine *e)
{
	return !e->stopped && (e->rc == ADPKI_OK || e->finishing);
}

void
apply_engine_send(apply_engine *e, size_t first, size_t end, flight_kind kind)
{
	const char *dn = e->run->p->ops[first].dn;
	long busy;
	int msgid = -1;

	while (can_send(e) && (busy = in_flight_on(e, dn)) >= 0)
		collect(e, e->f[busy].msgid);
	while (can_send(e) && e->n >= e->cap)
		collect(e, LDAP_RES_ANY);
	if (!can_send(e) || !send_request(e, first, end, kind, &msgid))
		return;
	conn_count_sent(e->run->c, CONN_OP_WRITE, msgid);
	e->f[e->n++] = (flight){ msgid, first, end, kind };
}

