/* apply.c - executing a plan, with "someone got there first" handled as
 * success, and reading back what was written (see apply.h). */
#include "config.h"
#include "apply.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store.h"

static const unsigned char placeholder_byte[1] = { 0x00 };

const char *
apply_status_name(apply_status s)
{
	switch (s) {
	case APPLY_DONE: return "done";
	case APPLY_ALREADY: return "already";
	case APPLY_KEPT: return "kept";
	case APPLY_FAILED: return "failed";
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

typedef struct {
	conn *c;
	const plan *p;
	apply_report *r;
	const adpki_logger *log;
	apply_progress_fn progress;
	void *ctx;
} apply_run;

static void
settle(apply_run *run, size_t i, apply_status st, const char *note)
{
	run->r->status[i] = st;
	free(run->r->note[i]);
	run->r->note[i] = note ? strdup(note) : NULL;
	if (run->progress != NULL)
		run->progress(run->ctx, run->p, i, st, note);
}

/* A failed write: the LDAP helper's message, plus what rights are needed
 * when the server says access is insufficient. */
static adpki_result
write_failed(apply_run *run, int rc, const char *op, const char *dn, adpki_error *err)
{
	conn_ldap_fail(run->c, err, rc, op, dn, NULL);
	if (rc == LDAP_INSUFFICIENT_ACCESS)
		adpki_fail(err, ADPKI_ERR_CREDENTIALS,
		           "%s; writing Public Key Services needs Enterprise Admins, or rights "
		           "delegated on %s", err->message, run->c->pks_dn);
	return err->code;
}

/* --- LDAPMod building --------------------------------------------------- */

typedef struct {
	LDAPMod *mods;
	LDAPMod **ptrs;
	struct berval *bvs;
	struct berval **bvptrs;
	size_t n, cap;
} mod_list;

static bool
mods_init(mod_list *m, size_t cap)
{
	memset(m, 0, sizeof *m);
	m->cap = cap;
	m->mods = calloc(cap, sizeof *m->mods);
	m->ptrs = calloc(cap + 1, sizeof *m->ptrs);
	m->bvs = calloc(cap, sizeof *m->bvs);
	m->bvptrs = calloc(cap * 2, sizeof *m->bvptrs);
	return m->mods && m->ptrs && m->bvs && m->bvptrs;
}

static void
mods_free(mod_list *m)
{
	free(m->mods);
	free(m->ptrs);
	free(m->bvs);
	free(m->bvptrs);
}

/* One value per modification: the value-level add/delete AD expects. */
static void
mods_push(mod_list *m, int op, const char *attr, const unsigned char *bytes, size_t len)
{
	size_t i = m->n++;

	m->bvs[i].bv_val = (char *)bytes;
	m->bvs[i].bv_len = len;
	m->bvptrs[2 * i] = &m->bvs[i];
	m->bvptrs[2 * i + 1] = NULL;
	m->mods[i].mod_op = op | LDAP_MOD_BVALUES;
	m->mods[i].mod_type = (char *)attr;
	m->mods[i].mod_bvalues = &m->bvptrs[2 * i];
	m->ptrs[i] = &m->mods[i];
	m->ptrs[i + 1] = NULL;
}

/* Forgets the previous answer's diagnostic text before each write: when
 * the connection drops, libldap keeps the last server's text ("00000000:
 * Success" from Samba), which would be quoted in the failure message. */
static void
clear_diag(apply_run *run)
{
	ldap_set_option(run->c->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, NULL);
}

static int
modify(apply_run *run, const char *dn, mod_list *m)
{
	clear_diag(run);
	return ldap_modify_ext_s(run->c->ld, dn, m->ptrs, NULL, NULL);
}

static int
modify_one(apply_run *run, const char *dn, int op, const plan_value *v)
{
	mod_list m;
	int rc;

	if (!mods_init(&m, 1)) {
		mods_free(&m);
		return LDAP_NO_MEMORY;
	}
	mods_push(&m, op, v->attribute, v->bytes, v->len);
	rc = modify(run, dn, &m);
	mods_free(&m);
	return rc;
}

/* --- add-value / delete-value groups ------------------------------------ */

static int send_add(apply_run *run, const plan_op *op);

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
		vals[n++] = (plan_value){ PLAN_ATTR_CA, (unsigned char *)placeholder_byte, 1, true, NULL, "" };
	vals[n++] = (plan_value){ PLAN_ATTR_ARL, (unsigned char *)placeholder_byte, 1, true, NULL, "" };
	vals[n++] = (plan_value){ PLAN_ATTR_CRL, (unsigned char *)placeholder_byte, 1, true, NULL, "" };
	tmp.kind = PLAN_CREATE_OBJECT;
	tmp.dn = op->dn;
	tmp.container = op->container;
	tmp.object = op->object;
	tmp.values = vals;
	tmp.value_count = n;
	ADPKI_LOG(run->log, "%s was deleted since it was read; creating it again", op->dn);
	rc = send_add(run, &tmp);
	if (rc == LDAP_SUCCESS)
		*created = true;
	else if (rc == LDAP_ALREADY_EXISTS)
		rc = modify_one(run, op->dn, LDAP_MOD_ADD, v);
	return rc;
}

/* One value at a time, for when the batch met a value someone else had
 * already added or removed. */
static adpki_result
apply_values_one_by_one(apply_run *run, size_t first, size_t end, adpki_error *err)
{
	size_t i;

	for (i = first; i < end; i++) {
		const plan_op *op = &run->p->ops[i];
		bool add = op->kind == PLAN_ADD_VALUE;
		int rc = modify_one(run, op->dn, add ? LDAP_MOD_ADD : LDAP_MOD_DELETE, &op->values[0]);
		bool created = false;

		if (add && rc == LDAP_NO_SUCH_OBJECT)
			rc = recreate_with_value(run, op, &created);
		if (rc == LDAP_SUCCESS && created)
			settle(run, i, APPLY_DONE, "object deleted by another writer meanwhile: "
			                           "created again with this value");
		else if (rc == LDAP_SUCCESS)
			settle(run, i, APPLY_DONE, NULL);
		else if (add && rc == LDAP_TYPE_OR_VALUE_EXISTS)
			settle(run, i, APPLY_ALREADY, "value already present (another writer added it)");
		else if (!add && (rc == LDAP_NO_SUCH_ATTRIBUTE || rc == LDAP_NO_SUCH_OBJECT))
			settle(run, i, APPLY_ALREADY, "value already gone (another writer removed it)");
		else {
			write_failed(run, rc, add ? "adding a value to" : "deleting a value from", op->dn,
			             err);
			settle(run, i, APPLY_FAILED, err->message);
			return err->code;
		}
	}
	return ADPKI_OK;
}

static adpki_result
apply_value_group(apply_run *run, size_t first, size_t end, adpki_error *err)
{
	const char *dn = run->p->ops[first].dn;
	mod_list m;
	size_t i;
	int rc;

	if (!mods_init(&m, end - first)) {
		mods_free(&m);
		return adpki_fail_oom(err);
	}
	for (i = first; i < end; i++) {
		const plan_op *op = &run->p->ops[i];
		mods_push(&m, op->kind == PLAN_ADD_VALUE ? LDAP_MOD_ADD : LDAP_MOD_DELETE,
		          op->values[0].attribute, op->values[0].bytes, op->values[0].len);
	}
	ADPKI_LOG(run->log, "modify %s (%zu value changes)", dn, end - first);
	rc = modify(run, dn, &m);
	mods_free(&m);
	if (rc == LDAP_SUCCESS) {
		for (i = first; i < end; i++)
			settle(run, i, APPLY_DONE, NULL);
		return ADPKI_OK;
	}
	if (rc == LDAP_TYPE_OR_VALUE_EXISTS || rc == LDAP_NO_SUCH_ATTRIBUTE ||
	    rc == LDAP_NO_SUCH_OBJECT) {
		/* The modify is atomic: nothing of it was applied.  Someone
		 * changed the object since the read; redo it value by value. */
		ADPKI_LOG(run->log, "%s changed since it was read; applying value by value", dn);
		return apply_values_one_by_one(run, first, end, err);
	}
	write_failed(run, rc, "modify of", dn, err);
	for (i = first; i < end; i++)
		settle(run, i, APPLY_FAILED, err->message);
	return err->code;
}

/* --- create-object ------------------------------------------------------ */

/* Sends the object add for a create-object op: objectClass, cn, then each
 * attribute with all its values.  Returns the LDAP result code. */
static int
send_add(apply_run *run, const plan_op *op)
{
	char *classes[] = { "top", PLAN_OBJECT_CLASS, NULL };
	char *cn[] = { op->object, NULL };
	LDAPMod class_mod = { LDAP_MOD_ADD, "objectClass", { .modv_strvals = classes } };
	LDAPMod cn_mod = { LDAP_MOD_ADD, "cn", { .modv_strvals = cn } };
	const char *attrs[8];
	size_t nattrs = 0, k, a, nmods = 0;
	LDAPMod *mods = calloc(op->value_count + 3, sizeof *mods);
	LDAPMod **ptrs = calloc(op->value_count + 4, sizeof *ptrs);
	struct berval *bvs = calloc(op->value_count + 1, sizeof *bvs);
	struct berval **bvptrs = calloc(2 * op->value_count + 8, sizeof *bvptrs);
	size_t bvused = 0;
	int rc;

	if (mods == NULL || ptrs == NULL || bvs == NULL || bvptrs == NULL) {
		free(mods); free(ptrs); free(bvs); free(bvptrs);
		return LDAP_NO_MEMORY;
	}
	ptrs[nmods++] = &class_mod;
	if (op->object != NULL)
		ptrs[nmods++] = &cn_mod;
	for (k = 0; k < op->value_count; k++) {
		for (a = 0; a < nattrs && strcmp(attrs[a], op->values[k].attribute) != 0; a++)
			;
		if (a == nattrs && nattrs < 8)
			attrs[nattrs++] = op->values[k].attribute;
	}
	for (a = 0; a < nattrs; a++) {
		LDAPMod *mod = &mods[a];
		mod->mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
		mod->mod_type = (char *)attrs[a];
		mod->mod_bvalues = &bvptrs[bvused];
		for (k = 0; k < op->value_count; k++) {
			if (strcmp(op->values[k].attribute, attrs[a]) != 0)
				continue;
			bvs[k].bv_val = (char *)op->values[k].bytes;
			bvs[k].bv_len = op->values[k].len;
			bvptrs[bvused++] = &bvs[k];
		}
		bvptrs[bvused++] = NULL;
		ptrs[nmods++] = mod;
	}
	ptrs[nmods] = NULL;
	ADPKI_LOG(run->log, "add %s", op->dn);
	clear_diag(run);
	rc = ldap_add_ext_s(run->c->ld, op->dn, ptrs, NULL, NULL);
	free(mods); free(ptrs); free(bvs); free(bvptrs);
	return rc;
}

/* A create-object op: the add; when another writer created the object a
 * moment ago (68), its values are added to theirs instead. */
static adpki_result
apply_create(apply_run *run, size_t i, adpki_error *err)
{
	const plan_op *op = &run->p->ops[i];
	size_t k;
	int rc = send_add(run, op);

	if (rc == LDAP_NO_MEMORY)
		return adpki_fail_oom(err);
	if (rc == LDAP_SUCCESS) {
		settle(run, i, APPLY_DONE, NULL);
		return ADPKI_OK;
	}
	if (rc != LDAP_ALREADY_EXISTS) {
		write_failed(run, rc, "adding", op->dn, err);
		settle(run, i, APPLY_FAILED, err->message);
		return err->code;
	}
	/* Another writer created the object a moment ago: add our values to
	 * theirs instead (placeholders are not needed on an existing object). */
	{
		size_t added = 0;
		for (k = 0; k < op->value_count; k++) {
			const plan_value *v = &op->values[k];
			if (v->placeholder)
				continue;
			rc = modify_one(run, op->dn, LDAP_MOD_ADD, v);
			if (rc == LDAP_SUCCESS)
				added++;
			else if (rc != LDAP_TYPE_OR_VALUE_EXISTS) {
				write_failed(run, rc, "adding a value to", op->dn, err);
				settle(run, i, APPLY_FAILED, err->message);
				return err->code;
			}
		}
		settle(run, i, added > 0 ? APPLY_DONE : APPLY_ALREADY,
		       added > 0 ? "object created by another writer meanwhile: values added to it"
		                 : "object and values already present (another writer)");
	}
	return ADPKI_OK;
}

/* --- delete-object ------------------------------------------------------ */

/* Real values the object holds now (0 when it is gone). */
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

/* Empties the object of the values the plan removes, keeping it valid with
 * a placeholder; then deletes it only if nothing else arrived meanwhile.
 * A plain delete would silently take a concurrent writer's new value. */
static adpki_result
apply_delete_object(apply_run *run, size_t i, adpki_error *err)
{
	const plan_op *op = &run->p->ops[i];
	plan_value ph = { PLAN_ATTR_CA, (unsigned char *)placeholder_byte, 1, true, NULL, "" };
	size_t k, left = 0;
	bool exists = true;
	int rc;

	if (op->values_known && op->value_count > 0) {
		if (modify_one(run, op->dn, LDAP_MOD_ADD, &ph) == LDAP_NO_SUCH_OBJECT) {
			settle(run, i, APPLY_ALREADY, "object already gone (another writer deleted it)");
			return ADPKI_OK;
		}
		for (k = 0; k < op->value_count; k++) {
			if (op->values[k].placeholder)
				continue;
			rc = modify_one(run, op->dn, LDAP_MOD_DELETE, &op->values[k]);
			if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_ATTRIBUTE && rc != LDAP_NO_SUCH_OBJECT) {
				write_failed(run, rc, "deleting a value from", op->dn, err);
				settle(run, i, APPLY_FAILED, err->message);
				return err->code;
			}
		}
		if (count_real_values(run, op->dn, &left, &exists, err) != ADPKI_OK) {
			settle(run, i, APPLY_FAILED, err->message);
			return err->code;
		}
		if (!exists) {
			settle(run, i, APPLY_ALREADY, "object already gone (another writer deleted it)");
			return ADPKI_OK;
		}
		if (left > 0) {
			settle(run, i, APPLY_KEPT, "kept: another writer added values to it meanwhile; "
			                           "the planned values were removed");
			return ADPKI_OK;
		}
	}
	ADPKI_LOG(run->log, "delete %s", op->dn);
	clear_diag(run);
	rc = ldap_delete_ext_s(run->c->ld, op->dn, NULL, NULL);
	if (rc == LDAP_SUCCESS)
		settle(run, i, APPLY_DONE, NULL);
	else if (rc == LDAP_NO_SUCH_OBJECT)
		settle(run, i, APPLY_ALREADY, "object already gone (another writer deleted it)");
	else {
		write_failed(run, rc, "deleting", op->dn, err);
		settle(run, i, APPLY_FAILED, err->message);
		return err->code;
	}
	return ADPKI_OK;
}

/* --- the run ------------------------------------------------------------ */

static bool
same_object(const plan_op *a, const plan_op *b)
{
	return strcasecmp(a->dn, b->dn) == 0;
}

static bool
is_value_op(const plan_op *op)
{
	return (op->kind == PLAN_ADD_VALUE || op->kind == PLAN_DELETE_VALUE) && op->value_count == 1;
}

adpki_result
apply_plan(conn *c, const plan *p, const adpki_logger *log, apply_progress_fn progress,
           void *ctx, apply_report **out, adpki_error *err)
{
	apply_run run = { c, p, report_new(p->op_count), log, progress, ctx };
	adpki_result rc = ADPKI_OK;
	size_t i = 0, k;

	*out = run.r;
	if (run.r == NULL)
		return adpki_fail_oom(err);
	while (i < p->op_count && rc == ADPKI_OK) {
		const plan_op *op = &p->ops[i];
		size_t end = i + 1;

		switch (op->kind) {
		case PLAN_CREATE_OBJECT:
			rc = apply_create(&run, i, err);
			break;
		case PLAN_DELETE_OBJECT:
			rc = apply_delete_object(&run, i, err);
			break;
		default:
			if (!is_value_op(op)) {
				rc = adpki_fail(err, ADPKI_ERR_UNEXPECTED,
				                "plan operation %zu on %s has %zu values", i, op->dn,
				                op->value_count);
				break;
			}
			while (end < p->op_count && is_value_op(&p->ops[end]) &&
			       same_object(op, &p->ops[end]))
				end++;
			rc = apply_value_group(&run, i, end, err);
			break;
		}
		i = end;
	}
	for (k = 0; k < run.r->count; k++) {
		switch (run.r->status[k]) {
		case APPLY_DONE: run.r->done++; break;
		case APPLY_ALREADY: run.r->already++; break;
		case APPLY_KEPT: run.r->kept++; break;
		case APPLY_FAILED: run.r->failed++; break;
		default: run.r->pending++; break;
		}
	}
	return rc;
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

adpki_result
apply_verify(conn *c, const plan *p, const apply_report *r, const adpki_logger *log,
             adpki_error *err)
{
	const char **dns = calloc(p->op_count + 1, sizeof *dns);
	size_t n = 0, i, k;
	snapshot *s = NULL;
	adpki_result rc;

	if (dns == NULL)
		return adpki_fail_oom(err);
	for (i = 0; i < p->op_count; i++) {
		for (k = 0; k < n && strcasecmp(dns[k], p->ops[i].dn) != 0; k++)
			;
		if (k == n)
			dns[n++] = p->ops[i].dn;
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
