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
 * page says so. */
#include "config.h"
#include "apply-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Real values the object holds now; *exists false when it is gone. */
static adpki_result
count_real_values(apply_run *run, const char *dn, size_t *count, bool *exists, adpki_error *err)
{
	const char *dns[1] = { dn };
	snapshot *s = NULL;
	store_object *o;
	adpki_result rc = snapshot_read_dns(run->c, dns, 1, run->log, &s, err);

	if (rc != ADPKI_OK)
		return rc;
	o = snapshot_find(s, dn);
	*exists = o != NULL;
	*count = o != NULL ? o->value_count : 0;
	snapshot_free(s);
	return ADPKI_OK;
}

static const plan_value lock_value = {
	.attribute = APPLY_LOCK_ATTR, .bytes = (unsigned char *)apply_lock_byte, .len = 1,
	.placeholder = true,
};

static adpki_result
delete_plain(apply_run *run, size_t i, adpki_error *err)
{
	const plan_op *op = &run->p->ops[i];
	int rc = apply_delete_entry(run, op->dn);

	if (rc == LDAP_SUCCESS)
		apply_settle(run, i, APPLY_DONE, NULL);
	else if (rc == LDAP_NO_SUCH_OBJECT)
		apply_settle(run, i, APPLY_ALREADY, "object already gone (another writer deleted it)");
	else
		return failed(run, i, rc, "deleting", op->dn, err);
	return ADPKI_OK;
}

/* The object is locked and empty of the planned values: delete it if
 * nothing else arrived, else unlock it and keep it. */
static adpki_result
check_and_delete(apply_run *run, size_t i, bool locked, adpki_error *err)
{
	const plan_op *op = &run->p->ops[i];
	size_t left = 0;
	bool exists = true;
	int rc;

	if (count_real_values(run, op->dn, &left, &exists, err) != ADPKI_OK) {
		if (locked)
			tell_where(err, "%s keeps the 0x01 deletion lock in %s; run the removal again",
			           op->dn, APPLY_LOCK_ATTR);
		apply_settle(run, i, APPLY_FAILED, err->message);
		return err->code;
	}
	if (!exists) {
		apply_settle(run, i, APPLY_ALREADY, "object already gone (another writer deleted it)");
		return ADPKI_OK;
	}
	if (left > 0) {
		if (locked) {
			rc = apply_modify_one(run, op->dn, LDAP_MOD_DELETE, &lock_value);
			if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_ATTRIBUTE && rc != LDAP_NO_SUCH_OBJECT)
				return failed(run, i, rc, "removing the deletion lock from", op->dn, err);
		}
		apply_settle(run, i, APPLY_KEPT, "kept: another writer added values to it meanwhile; "
		                                 "the planned values were removed");
		return ADPKI_OK;
	}
	return delete_plain(run, i, err);
}

adpki_result
apply_delete_object(apply_run *run, size_t i, adpki_error *err)
{
	const plan_op *op = &run->p->ops[i];
	struct timespec t0;
	adpki_result rc;
	bool gone = false;
	int lrc;

	/* A delete record from an LDIF file names no values: there is nothing
	 * to tell a concurrent writer's values from, so it is taken as written. */
	if (!op->values_known || op->value_count == 0)
		return delete_plain(run, i, err);
	rc = empty_object(run, i, &gone, err);
	if (rc != ADPKI_OK)
		return rc;
	if (gone) {
		apply_settle(run, i, APPLY_ALREADY, "object already gone (another writer deleted it)");
		return ADPKI_OK;
	}
	if (!apply_lockable(op))
		return check_and_delete(run, i, false, err);
	ADPKI_LOG(run->log, "locking %s for deletion", op->dn);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((lrc = apply_modify_one(run, op->dn, LDAP_MOD_ADD, &lock_value)) ==
	       LDAP_TYPE_OR_VALUE_EXISTS) {
		/* Another adpki removal holds the lock: it deletes the object or
		 * unlocks it (keeping values someone else added).  A lock held
		 * longer than the timeout was left by a removal that died: this
		 * one adopts it (it deletes the object, or unlocks it, all the same). */
		if (!apply_lock_pause(run, &t0)) {
			ADPKI_LOG(run->log, "%s: adopting a deletion lock older than %d s", op->dn,
			          run->c->timeout);
			lrc = LDAP_SUCCESS;
			break;
		}
	}
	if (lrc == LDAP_NO_SUCH_OBJECT) {
		apply_settle(run, i, APPLY_ALREADY, "object already gone (another writer deleted it)");
		return ADPKI_OK;
	}
	if (lrc != LDAP_SUCCESS)
		return failed(run, i, lrc, "locking (before deleting)", op->dn, err);
	return check_and_delete(run, i, true, err);
}
