/* apply-mods.c - LDAPMod arrays for plan operations, synchronous single
 * requests, and the fallbacks taken when another writer changed an object
 * between our read and our write (see apply-internal.h). */
#include "config.h"
#include "apply-internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

const unsigned char apply_placeholder_byte[1] = { 0x00 };
const unsigned char apply_lock_byte[1] = { 0x01 };
const plan_value apply_lock_value = {
	.attribute = APPLY_LOCK_ATTR, .bytes = (unsigned char *)apply_lock_byte, .len = 1,
	.placeholder = true,
};

#define LOCK_POLL_NS 50000000L   /* 50 ms between looks at a locked object */

bool
apply_lockable(const plan_op *op)
{
	return op->container == CONT_ROOTCA || op->container == CONT_AIA;
}

/* --- LDAPMod arrays ------------------------------------------------------ */

static bool
mods_alloc(ldap_mods *m, size_t nmods, size_t nvalues)
{
	memset(m, 0, sizeof *m);
	m->ptrs = calloc(nmods + 1, sizeof *m->ptrs);
	m->mods = calloc(nmods + 1, sizeof *m->mods);
	m->bvs = calloc(nvalues + 1, sizeof *m->bvs);
	/* every value, plus the NULL that ends each modification's list */
	m->bvptrs = calloc(nvalues + nmods + 1, sizeof *m->bvptrs);
	return m->ptrs && m->mods && m->bvs && m->bvptrs;
}

void
apply_mods_free(ldap_mods *m)
{
	free(m->ptrs);
	free(m->mods);
	free(m->bvs);
	free(m->bvptrs);
	memset(m, 0, sizeof *m);
}

/* Starts a modification; the values that follow belong to it. */
static void
mods_begin(ldap_mods *m, int op, const char *attr)
{
	LDAPMod *mod = &m->mods[m->nmods];

	if (m->nmods > 0)
		m->bvptrs[m->nslots++] = NULL;   /* ends the previous one's list */
	mod->mod_op = op | LDAP_MOD_BVALUES;
	mod->mod_type = (char *)attr;
	mod->mod_bvalues = &m->bvptrs[m->nslots];
	m->ptrs[m->nmods++] = mod;
}

static void
mods_value(ldap_mods *m, const void *bytes, size_t len)
{
	struct berval *bv = &m->bvs[m->nbvs++];

	bv->bv_val = (char *)bytes;
	bv->bv_len = len;
	m->bvptrs[m->nslots++] = bv;
}

/* libldap reads the arrays while encoding the request, so they can be
 * freed as soon as the call that sends it returns. */
static void
mods_end(ldap_mods *m)
{
	if (m->nmods > 0)
		m->bvptrs[m->nslots++] = NULL;
	m->ptrs[m->nmods] = NULL;
}

/* "Add the lock value, delete it again": a no-op the server refuses with
 * attributeOrValueExists while a removal holds the lock. */
static void
mods_lock_check(ldap_mods *m)
{
	mods_begin(m, LDAP_MOD_ADD, APPLY_LOCK_ATTR);
	mods_value(m, apply_lock_byte, 1);
	mods_begin(m, LDAP_MOD_DELETE, APPLY_LOCK_ATTR);
	mods_value(m, apply_lock_byte, 1);
}

bool
apply_mods_for_values(ldap_mods *m, const plan *p, size_t first, size_t end)
{
	bool adds = false;
	size_t i;

	for (i = first; i < end; i++)
		adds = adds || p->ops[i].kind == PLAN_ADD_VALUE;
	adds = adds && apply_lockable(&p->ops[first]);
	if (!mods_alloc(m, end - first + 2, end - first + 2)) {
		apply_mods_free(m);
		return false;
	}
	/* One value per modification: the value-level add/delete AD expects. */
	for (i = first; i < end; i++) {
		const plan_op *op = &p->ops[i];
		mods_begin(m, op->kind == PLAN_ADD_VALUE ? LDAP_MOD_ADD : LDAP_MOD_DELETE,
		           op->values[0].attribute);
		mods_value(m, op->values[0].bytes, op->values[0].len);
	}
	if (adds)
		mods_lock_check(m);
	mods_end(m);
	return true;
}

/* One value added or deleted; with the lock check when asked. */
static bool
mods_for_one(ldap_mods *m, int mod_op, const plan_value *v, bool lock_check)
{
	if (!mods_alloc(m, 3, 3)) {
		apply_mods_free(m);
		return false;
	}
	if (v != NULL) {
		mods_begin(m, mod_op, v->attribute);
		mods_value(m, v->bytes, v->len);
	}
	if (lock_check)
		mods_lock_check(m);
	mods_end(m);
	return true;
}

bool
apply_mods_for_create(ldap_mods *m, const plan_op *op)
{
	static const char *const classes[] = { "top", PLAN_OBJECT_CLASS };
	const char *attrs[8];
	size_t nattrs = 0, k, a;

	/* The attributes, in the order of their first value (at most the few
	 * a certificationAuthority carries; plan.c builds no more). */
	for (k = 0; k < op->value_count; k++) {
		for (a = 0; a < nattrs && strcmp(attrs[a], op->values[k].attribute) != 0; a++)
			;
		if (a == nattrs && nattrs < sizeof attrs / sizeof attrs[0])
			attrs[nattrs++] = op->values[k].attribute;
	}
	if (!mods_alloc(m, nattrs + 2, op->value_count + 3)) {
		apply_mods_free(m);
		return false;
	}
	mods_begin(m, LDAP_MOD_ADD, "objectClass");
	mods_value(m, classes[0], strlen(classes[0]));
	mods_value(m, classes[1], strlen(classes[1]));
	if (op->object != NULL) {
		mods_begin(m, LDAP_MOD_ADD, "cn");
		mods_value(m, op->object, strlen(op->object));
	}
	for (a = 0; a < nattrs; a++) {
		mods_begin(m, LDAP_MOD_ADD, attrs[a]);
		for (k = 0; k < op->value_count; k++) {
			if (strcmp(op->values[k].attribute, attrs[a]) == 0)
				mods_value(m, op->values[k].bytes, op->values[k].len);
		}
	}
	mods_end(m);
	return true;
}

bool
apply_mods_for_emptying(ldap_mods *m, const plan_op *op, bool lock)
{
	size_t k;

	if (!mods_alloc(m, op->value_count + 2, op->value_count + 2)) {
		apply_mods_free(m);
		return false;
	}
	/* The placeholder first: AD refuses a certificationAuthority without
	 * a cACertificate, even for a moment inside one modify. */
	mods_begin(m, LDAP_MOD_ADD, PLAN_ATTR_CA);
	mods_value(m, apply_placeholder_byte, 1);
	for (k = 0; k < op->value_count; k++) {
		if (op->values[k].placeholder)
			continue;
		mods_begin(m, LDAP_MOD_DELETE, op->values[k].attribute);
		mods_value(m, op->values[k].bytes, op->values[k].len);
	}
	if (lock) {
		mods_begin(m, LDAP_MOD_ADD, APPLY_LOCK_ATTR);
		mods_value(m, apply_lock_byte, 1);
	}
	mods_end(m);
	return true;
}

bool
apply_mods_for_unlock(ldap_mods *m)
{
	return mods_for_one(m, LDAP_MOD_DELETE, &apply_lock_value, false);
}

/* --- synchronous requests ------------------------------------------------ */

void
apply_clear_diag(apply_run *run)
{
	ldap_set_option(run->c->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, NULL);
}

static int
modify_sync(apply_run *run, const char *dn, int mod_op, const plan_value *v, bool lock_check)
{
	ldap_mods m;
	int rc;

	if (!mods_for_one(&m, mod_op, v, lock_check))
		return LDAP_NO_MEMORY;
	apply_clear_diag(run);
	rc = ldap_modify_ext_s(run->c->ld, dn, m.ptrs, NULL, NULL);
	conn_count_exchange(run->c, CONN_OP_WRITE);
	apply_mods_free(&m);
	return rc;
}

int
apply_modify_one(apply_run *run, const char *dn, int mod_op, const plan_value *v)
{
	return modify_sync(run, dn, mod_op, v, false);
}

bool
apply_lock_pause(apply_run *run, const struct timespec *t0)
{
	const struct timespec pause = { 0, LOCK_POLL_NS };
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9 >
	    (double)run->c->timeout)
		return false;
	nanosleep(&pause, NULL);
	return true;
}

int
apply_add_value(apply_run *run, const plan_op *op, const char *dn, const plan_value *v)
{
	struct timespec t0;
	bool logged = false;
	int rc;

	if (!apply_lockable(op))
		return apply_modify_one(run, dn, LDAP_MOD_ADD, v);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		rc = modify_sync(run, dn, LDAP_MOD_ADD, v, true);
		if (rc != LDAP_TYPE_OR_VALUE_EXISTS)
			return rc;
		/* The value is there, or the lock is: the lock check alone says which. */
		rc = modify_sync(run, dn, LDAP_MOD_ADD, NULL, true);
		if (rc == LDAP_SUCCESS)
			return LDAP_TYPE_OR_VALUE_EXISTS;
		if (rc != LDAP_TYPE_OR_VALUE_EXISTS && rc != LDAP_NO_SUCH_OBJECT)
			return rc;
		if (!logged)
			ADPKI_LOG(run->log, "%s is being deleted by another adpki; waiting", dn);
		logged = true;
		if (!apply_lock_pause(run, &t0))
			return LDAP_BUSY;
	}
}

/* The add met the lock for longer than the timeout. */
static adpki_result
lock_held(apply_run *run, const char *dn, adpki_error *err)
{
	return adpki_fail(err, ADPKI_ERR_DIRECTORY,
	                  "%s on %s is being deleted by another adpki (its %s holds the one-byte "
	                  "0x01 deletion lock) and was not released within %d s; if no adpki "
	                  "remove or prune is running, the lock is stale: delete that value "
	                  "(ldapmodify: delete: %s, value AQ== in base64) and publish again",
	                  dn, run->c->server, APPLY_LOCK_ATTR, run->c->timeout, APPLY_LOCK_ATTR);
}

int
apply_add_entry(apply_run *run, const plan_op *op)
{
	ldap_mods m;
	int rc;

	if (!apply_mods_for_create(&m, op))
		return LDAP_NO_MEMORY;
	ADPKI_LOG(run->log, "add %s", op->dn);
	apply_clear_diag(run);
	rc = ldap_add_ext_s(run->c->ld, op->dn, m.ptrs, NULL, NULL);
	conn_count_exchange(run->c, CONN_OP_WRITE);
	apply_mods_free(&m);
	return rc;
}

/* --- when another writer got there first --------------------------------- */

adpki_result
apply_create_exists(apply_run *run, size_t i, adpki_error *err)
{
	const plan_op *op = &run->p->ops[i];
	size_t k, added = 0;

	/* Placeholders are not needed on an existing object. */
	ADPKI_LOG(run->log, "%s was created by another writer meanwhile; adding the values to it",
	          op->dn);
	for (k = 0; k < op->value_count; k++) {
		const plan_value *v = &op->values[k];
		int rc;
		if (v->placeholder)
			continue;
		rc = apply_add_value(run, op, op->dn, v);
		if (rc == LDAP_NO_SUCH_OBJECT) {
			/* ... and deleted again since: ours to create after all. */
			rc = apply_add_entry(run, op);
			if (rc == LDAP_SUCCESS) {
				apply_settle(run, i, APPLY_DONE, "object created and deleted by other "
				                                 "writers meanwhile: created");
				return ADPKI_OK;
			}
		}
		if (rc == LDAP_SUCCESS)
			added++;
		else if (rc == LDAP_BUSY) {
			lock_held(run, op->dn, err);
			apply_settle(run, i, APPLY_FAILED, err->message);
			return err->code;
		} else if (rc != LDAP_TYPE_OR_VALUE_EXISTS) {
			apply_write_failed(run, rc, "adding a value to", op->dn, NULL, err);
			apply_settle(run, i, APPLY_FAILED, err->message);
			return err->code;
		}
	}
	apply_settle(run, i, added > 0 ? APPLY_DONE : APPLY_ALREADY,
	             added > 0 ? "object created by another writer meanwhile: values added to it"
	                       : "object and values already present (another writer)");
	return ADPKI_OK;
}

/* A value add found its object gone: another writer removed the object's
 * last values and deleted it after this run read it.  Without this the
 * run would fail half-way (or, had the add been a create, the value would
 * silently be the only thing lost).  Creates the object again with the
 * value and the placeholders a new object gets from plan.c (cACertificate
 * when the value is a crossCertificatePair, both revocation lists); if yet
 * another writer re-created it first (68), adds the value to theirs.
 * Only for the certificationAuthority objects adpki creates itself, and
 * only for real certificate values.  *created: this run made the object. */
static int
recreate_with_value(apply_run *run, const plan_op *op, bool *created)
{
	const plan_value *v = &op->values[0];
	unsigned char *ph = (unsigned char *)apply_placeholder_byte;
	plan_value vals[4];
	plan_op tmp;
	size_t n = 0;
	int rc;

	*created = false;
	if ((op->container != CONT_ROOTCA && op->container != CONT_AIA &&
	     op->container != CONT_NTAUTH) || v->placeholder ||
	    (strcmp(v->attribute, PLAN_ATTR_CA) != 0 && strcmp(v->attribute, PLAN_ATTR_CROSS) != 0))
		return LDAP_NO_SUCH_OBJECT;
	memset(vals, 0, sizeof vals);
	memset(&tmp, 0, sizeof tmp);
	vals[n++] = *v;   /* borrowed bytes: tmp is never freed */
	if (strcmp(v->attribute, PLAN_ATTR_CA) != 0)
		vals[n++] = (plan_value){ .attribute = PLAN_ATTR_CA, .bytes = ph, .len = 1,
		                          .placeholder = true };
	vals[n++] = (plan_value){ .attribute = PLAN_ATTR_ARL, .bytes = ph, .len = 1,
	                          .placeholder = true };
	vals[n++] = (plan_value){ .attribute = PLAN_ATTR_CRL, .bytes = ph, .len = 1,
	                          .placeholder = true };
	tmp.kind = PLAN_CREATE_OBJECT;
	tmp.dn = op->dn;
	tmp.container = op->container;
	tmp.object = op->object;
	tmp.values = vals;
	tmp.value_count = n;
	ADPKI_LOG(run->log, "%s was deleted since it was read; creating it again", op->dn);
	rc = apply_add_entry(run, &tmp);
	if (rc == LDAP_SUCCESS)
		*created = true;
	else if (rc == LDAP_ALREADY_EXISTS)
		rc = apply_add_value(run, op, op->dn, v);
	return rc;
}

adpki_result
apply_values_one_by_one(apply_run *run, size_t first, size_t end, adpki_error *err)
{
	size_t i;

	ADPKI_LOG(run->log, "%s changed since it was read; applying value by value",
	          run->p->ops[first].dn);
	for (i = first; i < end; i++) {
		const plan_op *op = &run->p->ops[i];
		bool add = op->kind == PLAN_ADD_VALUE, created = false;
		int rc = add ? apply_add_value(run, op, op->dn, &op->values[0])
		             : apply_modify_one(run, op->dn, LDAP_MOD_DELETE, &op->values[0]);

		if (add && rc == LDAP_NO_SUCH_OBJECT)
			rc = recreate_with_value(run, op, &created);
		if (rc == LDAP_SUCCESS && created)
			apply_settle(run, i, APPLY_DONE, "object deleted by another writer meanwhile: "
			                                 "created again with this value");
		else if (rc == LDAP_SUCCESS)
			apply_settle(run, i, APPLY_DONE, NULL);
		else if (add && rc == LDAP_TYPE_OR_VALUE_EXISTS)
			apply_settle(run, i, APPLY_ALREADY,
			             "value already present (another writer added it)");
		else if (!add && (rc == LDAP_NO_SUCH_ATTRIBUTE || rc == LDAP_NO_SUCH_OBJECT))
			apply_settle(run, i, APPLY_ALREADY, "value already gone (another writer removed it)");
		else if (rc == LDAP_BUSY) {
			lock_held(run, op->dn, err);
			apply_settle(run, i, APPLY_FAILED, err->message);
			return err->code;
		} else {
			apply_write_failed(run, rc, add ? "adding a value to" : "deleting a value from",
			                   op->dn, NULL, err);
			apply_settle(run, i, APPLY_FAILED, err->message);
			return err->code;
		}
	}
	return ADPKI_OK;
}
