/* apply-delete.c - deleting an object without taking a value another
 * writer added to it a moment ago.
 *
 * AD has no "delete if it holds only these values" (no assertion control,
 * no transactions), and objects in the configuration partition cannot be
 * renamed out of the way.  An LDAP delete takes the whole entry, so a
 * value added between our last read and the delete would be lost.
 *
 * So the object is first emptied of the planned values (kept valid with a
 * 0x00 placeholder), then locked: a one-byte 0x01 value is added to its
 * authorityRevocationList.  Every value add adpki sends to such an object
 * checks for that value in the same atomic modify and is refused while it
 * is there (apply-mods.c; the publisher waits, then creates the object
 * again once it is gone).  After the lock the object is read once more:
 * a value that arrived before the lock shows up, and the object is kept
 * (unlocked); with none, nothing can arrive any more, and it is deleted.
 *
 * Other tools (certutil, ldapmodify) do not know the lock: their add in the
 * instant between our check and our delete can still be lost.  The man
 * page says so.
 *
 * Batches: emptying and locking is one modify per object; the objects of a
 * run of deletions are emptied with requests in flight, read back together
 * and then deleted with requests in flight: about three round trips per
 * window of objects instead of five or more per object.  An object whose
 * one-modify emptying is refused (a planned value already gone, the lock
 * held by another removal) is emptied and locked step by step, then
 * finished with the others. */
#include "config.h"
#include "apply-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

/* Appends "; <what>" to the message already in err (keeps the code). */
static void tell_where(adpki_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
tell_where(adpki_error *err, const char *fmt, ...)
{
	char old[ADPKI_ERROR_MAX], tail[ADPKI_ERROR_MAX];
	va_list ap;

	memcpy(old, err->message, sizeof old);
	va_start(ap, fmt);
	vsnprintf(tail, sizeof tail, fmt, ap);
	va_end(ap);
	adpki_fail(err, err->code, "%s; %s", old, tail);
}

static adpki_result
failed(apply_run *run, size_t i, int rc, const char *what, const char *dn, adpki_error *err)
{
	apply_write_failed(run, rc, what, dn, NULL, err);
	apply_settle(run, i, APPLY_FAILED, err->message);
	return err->code;
}

/* Removes the planned values, keeping the object valid with a placeholder.
 * *gone: the object no longer exists (another writer deleted it). */
static adpki_result
empty_object(apply_run *run, size_t i, bool *gone, adpki_error *err)
{
	const plan_op *op = &run->p->ops[i];
	plan_value ph = { .attribute = PLAN_ATTR_CA, .bytes = (unsigned char *)apply_placeholder_byte,
	                  .len = 1, .placeholder = true };
	size_t k;
	int rc;

	*gone = false;
	rc = apply_modify_one(run, op->dn, LDAP_MOD_ADD, &ph);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		*gone = true;
		return ADPKI_OK;
	}
	if (rc != LDAP_SUCCESS && rc != LDAP_TYPE_OR_VALUE_EXISTS)
		return failed(run, i, rc, "adding a placeholder to", op->dn, err);
	for (k = 0; k < op->value_count; k++) {
		if (op->values[k].placeholder)
			continue;
		rc = apply_modify_one(run, op->dn, LDAP_MOD_DELETE, &op->values[k]);
		if (rc == LDAP_NO_SUCH_OBJECT) {
			*gone = true;
			return ADPKI_OK;
		}
		if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_ATTRIBUTE)
			return failed(run, i, rc, "deleting a value from", op->dn, err);
	}
	return ADPKI_OK;
}

static const char gone_note[] = "object already gone (another writer deleted it)";
static const char kept_note[] = "kept: another writer added values to it meanwhile; "
                                "the planned values were removed";

/* Locks the emptied object, waiting while another adpki removal holds the
 * lock.  *gone: the object no longer exists. */
static adpki_result
lock_object(apply_run *run, size_t i, bool *gone, adpki_error *err)
{
	const plan_op *op = &run->p->ops[i];
	struct timespec t0;
	int lrc;

	ADPKI_LOG(run->log, "locking %s for deletion", op->dn);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((lrc = apply_modify_one(run, op->dn, LDAP_MOD_ADD, &apply_lock_value)) ==
	       LDAP_TYPE_OR_VALUE_EXISTS) {
		/* Another adpki removal holds the lock: it deletes the object or
		 * unlocks it (keeping values someone else added).  A lock held
		 * longer than the timeout was left by a removal that died: this
		 * one adopts it (it deletes the object, or unlocks it, all the same). */
		if (!apply_lock_pause(run, &t0)) {
			ADPKI_LOG(run->log, "%s: adopting a deletion lock older than %d s", op->dn,
			          run->c->timeout);
			return ADPKI_OK;
		}
	}
	*gone = lrc == LDAP_NO_SUCH_OBJECT;
	if (lrc != LDAP_SUCCESS && !*gone)
		return failed(run, i, lrc, "locking (before deleting)", op->dn, err);
	return ADPKI_OK;
}

/* Step 1 the careful way, one request at a time, for an object whose
 * one-modify emptying was refused: *emptied when it is now empty of the
 * planned values (and locked, if lockable), for steps 2 and 3 to finish;
 * otherwise the operation is settled (gone) or failed. */
static adpki_result
empty_step_by_step(apply_run *run, size_t i, bool *emptied, adpki_error *err)
{
	bool gone = false;
	adpki_result rc = empty_object(run, i, &gone, err);

	*emptied = false;
	if (rc == ADPKI_OK && !gone && apply_lockable(&run->p->ops[i]))
		rc = lock_object(run, i, &gone, err);
	if (rc != ADPKI_OK)
		return rc;
	if (gone)
		apply_settle(run, i, APPLY_ALREADY, gone_note);
	*emptied = !gone;
	return ADPKI_OK;
}

/* --- batches ------------------------------------------------------------- */

enum { DEL_NONE = 0, DEL_SENT, DEL_EMPTIED, DEL_FALLBACK };

static void
answer_failed(apply_engine *e, const flight *fl, int code, const char *what, const char *diag)
{
	apply_run *run = e->run;
	adpki_error *err = apply_engine_err(e);

	apply_write_failed(run, code, what, run->p->ops[fl->first].dn, diag, err);
	apply_settle(run, fl->first, APPLY_FAILED, err->message);
	apply_engine_fail(e, err->code);
}

void
apply_delete_answer(apply_engine *e, const flight *fl, int code, const char *diag)
{
	apply_run *run = e->run;
	size_t k = fl->first;

	switch (fl->kind) {
	case FLIGHT_EMPTY:
		if (code == LDAP_SUCCESS)
			run->del_state[k] = DEL_EMPTIED;
		else if (code == LDAP_NO_SUCH_OBJECT)
			apply_settle(run, k, APPLY_ALREADY, gone_note);
		else if (code == LDAP_NO_SUCH_ATTRIBUTE || code == LDAP_TYPE_OR_VALUE_EXISTS)
			run->del_state[k] = DEL_FALLBACK;   /* changed meanwhile, or locked */
		else
			answer_failed(e, fl, code, "emptying (before deleting)", diag);
		break;
	case FLIGHT_UNLOCK:
		if (code == LDAP_SUCCESS || code == LDAP_NO_SUCH_ATTRIBUTE || code == LDAP_NO_SUCH_OBJECT)
			apply_settle(run, k, APPLY_KEPT, kept_note);
		else
			answer_failed(e, fl, code, "removing the deletion lock from", diag);
		break;
	default:
		if (code == LDAP_SUCCESS)
			apply_settle(run, k, APPLY_DONE, NULL);
		else if (code == LDAP_NO_SUCH_OBJECT)
			apply_settle(run, k, APPLY_ALREADY, gone_note);
		else
			answer_failed(e, fl, code, "deleting", diag);
		break;
	}
}

/* Step 1: every object of the batch emptied (and locked), or deleted as it
 * stands when its values are unknown. */
static void
send_emptying(apply_engine *e, size_t first, size_t end)
{
	const plan *p = e->run->p;
	size_t k;

	for (k = first; k < end && apply_engine_ok(e); k++) {
		if (!p->ops[k].values_known || p->ops[k].value_count == 0) {
			apply_engine_send(e, k, k + 1, FLIGHT_DELETE);
		} else {
			e->run->del_state[k] = DEL_SENT;
			apply_engine_send(e, k, k + 1, FLIGHT_EMPTY);
		}
	}
	apply_engine_drain(e);
}

static void
run_fallbacks(apply_engine *e, size_t first, size_t end)
{
	size_t k;

	for (k = first; k < end && apply_engine_ok(e); k++) {
		bool emptied = false;
		if (e->run->del_state[k] != DEL_FALLBACK)
			continue;
		if (empty_step_by_step(e->run, k, &emptied, apply_engine_err(e)) != ADPKI_OK)
			apply_engine_fail(e, apply_engine_err(e)->code);
		else if (emptied)
			e->run->del_state[k] = DEL_EMPTIED;   /* steps 2 and 3 finish it */
	}
}

/* Steps 2 and 3: one read of the emptied objects, then each is deleted,
 * or unlocked and kept when a value arrived before its lock. */
static void
read_and_delete(apply_engine *e, size_t first, size_t end)
{
	apply_run *run = e->run;
	const char **dns = calloc(end - first + 1, sizeof *dns);
	adpki_error *err = apply_engine_err(e);
	snapshot *s = NULL;
	size_t k, n = 0;

	if (dns == NULL) {
		apply_engine_fail(e, adpki_fail_oom(err));
		return;
	}
	for (k = first; k < end; k++) {
		if (run->del_state[k] == DEL_EMPTIED)
			dns[n++] = run->p->ops[k].dn;
	}
	if (n > 0 && snapshot_read_dns(run->c, dns, n, run->log, &s, err) != ADPKI_OK) {
		tell_where(err, "objects emptied for deletion keep the 0x01 deletion lock in %s; "
		           "run the removal again", APPLY_LOCK_ATTR);
		for (k = first; k < end; k++) {
			if (run->del_state[k] == DEL_EMPTIED)
				apply_settle(run, k, APPLY_FAILED, err->message);
		}
		apply_engine_fail(e, err->code);
		free(dns);
		return;
	}
	free(dns);
	for (k = first; k < end && n > 0 && !e->stopped; k++) {
		const plan_op *op = &run->p->ops[k];
		const store_object *o;
		if (run->del_state[k] != DEL_EMPTIED)
			continue;
		o = snapshot_find(s, op->dn);
		if (o == NULL)
			apply_settle(run, k, APPLY_ALREADY, gone_note);
		else if (o->value_count == 0)
			apply_engine_send(e, k, k + 1, FLIGHT_DELETE);
		else if (apply_lockable(op))
			apply_engine_send(e, k, k + 1, FLIGHT_UNLOCK);
		else
			apply_settle(run, k, APPLY_KEPT, kept_note);
	}
	snapshot_free(s);
}

void
apply_delete_batch(apply_engine *e, size_t first, size_t end)
{
	apply_run *run = e->run;

	if (run->del_state == NULL)
		run->del_state = calloc(run->p->op_count + 1, 1);
	if (run->del_state == NULL) {
		apply_engine_fail(e, adpki_fail_oom(apply_engine_err(e)));
		return;
	}
	send_emptying(e, first, end);
	run_fallbacks(e, first, end);
	/* Objects already emptied and locked are finished (deleted, or
	 * unlocked and kept) even when another object of the batch was
	 * refused: a lock left behind would stall every publisher to them. */
	if (!e->stopped) {
		e->finishing = true;
		read_and_delete(e, first, end);
		apply_engine_drain(e);
		e->finishing = false;
	}
}
