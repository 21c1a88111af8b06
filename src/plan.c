/* plan.c - the plan itself: storage, values, roles, undo, and plans read
 * back from LDIF.  Planning is in plan-publish.c and plan-remove.c,
 * rendering in plan-render.c.  See plan.h for the model.
 *
 * Decisions (also in the report):
 * - A plan owns its values: each value is copied and decoded again from its
 *   bytes, so a plan never dangles when the snapshot or the input
 *   certificates are freed, and LDIF input is shown exactly like a dry run.
 * - Objects are matched by container and name (ASCII case-insensitive, as
 *   AD compares RDNs; sanitized names are ASCII), never by DN string, so a
 *   server's DN spelling does not matter.
 * - Placeholders: the snapshot does not say which attribute holds a
 *   one-byte placeholder.  cACertificate is mandatory on the objects adpki
 *   writes (certificationAuthority in Certification Authorities / AIA, and
 *   NTAuthCertificates), so such an object without a real cACertificate
 *   value must be holding a placeholder there.  Publishing a cACertificate
 *   into it adds the value and then deletes the 0x00 byte in the same
 *   modify (legacy devices install every cACertificate value they find).
 *   Should the one byte be something other than 0x00, the server refuses
 *   the whole modify atomically: nothing is lost.
 * - Objects are deleted only in CN=Certification Authorities and CN=AIA.
 *   NTAuthCertificates, KRA, Enrollment Services and CDP objects are never
 *   deleted by remove/prune: they are kept, with a placeholder in their
 *   mandatory attribute (cACertificate; userCertificate for KRA).
 * - Undo of a deleted object recreates it with its real values plus the
 *   standard placeholders (cACertificate when it had none, and the two
 *   revocation lists); whatever one-byte values it held are not known
 *   from the snapshot and are recreated in that standard form. */
#include "config.h"
#include "plan.h"
#include "plan-internal.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

const unsigned char plan_placeholder_byte[1] = { 0x00 };

static const char *const canonical_attrs[] = {
	PLAN_ATTR_CA, PLAN_ATTR_CROSS, PLAN_ATTR_USER, PLAN_ATTR_ARL, PLAN_ATTR_CRL, NULL
};

const char *
plan_attr_canonical(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && canonical_attrs[i] != NULL; i++) {
		if (strcasecmp(name, canonical_attrs[i]) == 0)
			return canonical_attrs[i];
	}
	return NULL;
}

bool
plan_is_cert_attr(const char *attr)
{
	return strcasecmp(attr, PLAN_ATTR_CA) == 0 || strcasecmp(attr, PLAN_ATTR_CROSS) == 0 ||
	       strcasecmp(attr, PLAN_ATTR_USER) == 0;
}

const char *
plan_op_kind_name(plan_op_kind k)
{
	switch (k) {
	case PLAN_CREATE_OBJECT: return "create-object";
	case PLAN_DELETE_OBJECT: return "delete-object";
	case PLAN_ADD_VALUE: return "add-value";
	case PLAN_DELETE_VALUE: return "delete-value";
	}
	return "?";
}

/* --- plan storage ----------------------------------------------------- */

plan *
plan_new(void)
{
	return calloc(1, sizeof(plan));
}

static void
value_clear(plan_value *v)
{
	free(v->bytes);
	cert_free(v->cert);
}

static void
op_clear(plan_op *op)
{
	size_t i;

	for (i = 0; i < op->value_count; i++)
		value_clear(&op->values[i]);
	free(op->values);
	free(op->dn);
	free(op->object);
}

void
plan_free(plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->op_count; i++)
		op_clear(&p->ops[i]);
	free(p->ops);
	for (i = 0; i < p->not_found_count; i++)
		free(p->not_found[i]);
	free(p->not_found);
	free(p);
}

bool
plan_is_empty(const plan *p)
{
	return p->op_count == 0;
}

plan_op *
plan_append_op(plan *p, plan_op_kind kind, const char *dn, int container, const char *object)
{
	plan_op *op;

	if (p->op_count >= PLAN_OPS_MAX)
		return NULL;
	if (p->op_count == p->op_cap) {
		size_t cap = p->op_cap ? p->op_cap * 2 : 16;
		plan_op *grown = realloc(p->ops, cap * sizeof *grown);
		if (grown == NULL)
			return NULL;
		p->ops = grown;
		p->op_cap = cap;
	}
	op = &p->ops[p->op_count];
	memset(op, 0, sizeof *op);
	op->kind = kind;
	op->container = container;
	op->dn = strdup(dn);
	op->object = strdup(object != NULL ? object : "");
	if (op->dn == NULL || op->object == NULL) {
		op_clear(op);
		return NULL;
	}
	op->values_known = kind != PLAN_DELETE_OBJECT;
	p->op_count++;
	return op;
}

/* SHA-1 and SHA-256 of bytes as upper-case hex (a certificate's
 * plan_thumbprints are the hashes of its DER, which is the value). */
void
plan_thumbprints(const unsigned char *bytes, size_t len, char sha1[41], char sha256[65])
{
	unsigned char d[32];

	if (sha1 != NULL) {
		gnutls_hash_fast(GNUTLS_DIG_SHA1, bytes, len, d);
		text_hex_upper(d, 20, sha1);
	}
	if (sha256 != NULL) {
		gnutls_hash_fast(GNUTLS_DIG_SHA256, bytes, len, d);
		text_hex_upper(d, 32, sha256);
	}
}

adpki_result
plan_op_add_value(plan_op *op, const char *attribute, const unsigned char *bytes, size_t len,
                  adpki_error *err)
{
	const char *canon = plan_attr_canonical(attribute);
	plan_value *grown, *v;
	adpki_error derr;

	if (canon == NULL)
		return adpki_fail(err, ADPKI_ERR_UNEXPECTED, "attribute %s is not one adpki writes",
		                  attribute);
	if (len == 0 || len > CERT_AD_VALUE_MAX)
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "a %s value of %zu bytes for %s: AD holds 1 to %u bytes per value",
		                  canon, len, op->dn, CERT_AD_VALUE_MAX);
	grown = realloc(op->values, (op->value_count + 1) * sizeof *grown);
	if (grown == NULL)
		return adpki_fail_oom(err);
	op->values = grown;
	v = &op->values[op->value_count];
	memset(v, 0, sizeof *v);
	v->attribute = canon;
	v->bytes = malloc(len);
	if (v->bytes == NULL)
		return adpki_fail_oom(err);
	memcpy(v->bytes, bytes, len);
	v->len = len;
	v->placeholder = len == 1 && bytes[0] == 0x00;
	if (!v->placeholder) {
		plan_thumbprints(bytes, len, v->sha1, NULL);
		/* Plans show subject and expiry only: the brief decode, without
		 * the self-signature check (half the cost of a full decode). */
		if (plan_is_cert_attr(canon) &&
		    cert_from_der_brief(bytes, len, op->dn, &v->cert, &derr) != ADPKI_OK)
			v->cert = NULL;  /* shown as undecodable bytes, with its SHA-1 */
	}
	op->value_count++;
	return ADPKI_OK;
}

void
plan_recount(plan *p)
{
	size_t i, k, unchanged = p->summary.unchanged;

	memset(&p->summary, 0, sizeof p->summary);
	p->summary.unchanged = unchanged;
	for (i = 0; i < p->op_count; i++) {
		const plan_op *op = &p->ops[i];
		size_t real = 0;

		for (k = 0; k < op->value_count; k++)
			real += !op->values[k].placeholder;
		switch (op->kind) {
		case PLAN_CREATE_OBJECT:
			p->summary.objects_created++;
			p->summary.values_added += real;
			break;
		case PLAN_DELETE_OBJECT:
			p->summary.objects_deleted++;
			p->summary.values_removed += real;
			break;
		case PLAN_ADD_VALUE:
			p->summary.values_added += real;
			break;
		case PLAN_DELETE_VALUE:
			p->summary.values_removed += real;
			break;
		}
	}
}

/* --- roles --------------------------------------------------------------- */

adpki_result
plan_role_parse(const char *text, plan_role *out, adpki_error *err)
{
	static const struct { const char *name; plan_role role; } roles[] = {
		{ "auto", PLAN_ROLE_AUTO }, { "rootca", PLAN_ROLE_ROOTCA },
		{ "subca", PLAN_ROLE_SUBCA }, { "crossca", PLAN_ROLE_CROSSCA },
		{ "ntauth", PLAN_ROLE_NTAUTH }, { "ntauthca", PLAN_ROLE_NTAUTH },
	};
	size_t i;

	for (i = 0; text != NULL && i < sizeof roles / sizeof roles[0]; i++) {
		if (strcasecmp(text, roles[i].name) == 0) {
			*out = roles[i].role;
			return ADPKI_OK;
		}
	}
	return adpki_fail(err, ADPKI_ERR_USAGE,
	                  "unknown role '%.40s': use rootca, subca, crossca, ntauth or auto "
	                  "(certutil's RootCA, SubCA, CrossCA, NTAuthCA work too)",
	                  text != NULL ? text : "");
}

const char *
plan_role_name(plan_role r)
{
	switch (r) {
	case PLAN_ROLE_AUTO: return "auto";
	case PLAN_ROLE_ROOTCA: return "rootca";
	case PLAN_ROLE_SUBCA: return "subca";
	case PLAN_ROLE_CROSSCA: return "crossca";
	case PLAN_ROLE_NTAUTH: return "ntauth";
	}
	return "?";
}

plan_role
plan_role_resolve(plan_role r, const cert *c)
{
	if (r != PLAN_ROLE_AUTO)
		return r;
	return c->is_ca && c->self_signed ? PLAN_ROLE_ROOTCA : PLAN_ROLE_SUBCA;
}

/* --- undo ---------------------------------------------------------------- */

static adpki_result
copy_values(plan_op *dst, const plan_op *src, bool real_only, adpki_error *err)
{
	size_t i;

	for (i = 0; i < src->value_count; i++) {
		const plan_value *v = &src->values[i];
		if (real_only && v->placeholder)
			continue;
		if (plan_op_add_value(dst, v->attribute, v->bytes, v->len, err) != ADPKI_OK)
			return err->code;
	}
	return ADPKI_OK;
}

/* The inverse of one operation, appended to q. */
static adpki_result
invert_op(plan *q, const plan_op *op, adpki_error *err)
{
	plan_op *inv;
	pending_value *vals;
	size_t i, n = 0;
	adpki_result r;

	switch (op->kind) {
	case PLAN_CREATE_OBJECT:
		inv = plan_append_op(q, PLAN_DELETE_OBJECT, op->dn, op->container, op->object);
		if (inv == NULL)
			return adpki_fail_oom(err);
		inv->values_known = true;
		return copy_values(inv, op, true, err);
	case PLAN_DELETE_OBJECT:
		/* Input errors (an LDIF delete of an object the directory does
		 * not have), not usage errors. */
		if (!op->values_known)
			return adpki_fail(err, ADPKI_ERR_CONFIG,
			                  "cannot write an undo for deleting %s: the object is not "
			                  "in the directory (already deleted?), so the values it "
			                  "held are unknown", op->dn);
		if (op->container != CONT_ROOTCA && op->container != CONT_AIA)
			return adpki_fail(err, ADPKI_ERR_CONFIG,
			                  "cannot write an undo for deleting %s: only "
			                  "certificationAuthority objects can be recreated", op->dn);
		vals = calloc(op->value_count + 1, sizeof *vals);
		if (vals == NULL)
			return adpki_fail_oom(err);
		for (i = 0; i < op->value_count; i++) {
			if (op->values[i].placeholder)
				continue;
			vals[n].attribute = op->values[i].attribute;
			vals[n].bytes = op->values[i].bytes;
			vals[n].len = op->values[i].len;
			n++;
		}
		r = plan_emit_create(q, op->dn, op->container, op->object, vals, n, err);
		free(vals);
		return r;
	case PLAN_ADD_VALUE:
	case PLAN_DELETE_VALUE:
		inv = plan_append_op(q, op->kind == PLAN_ADD_VALUE ? PLAN_DELETE_VALUE : PLAN_ADD_VALUE,
		                     op->dn, op->container, op->object);
		if (inv == NULL)
			return adpki_fail_oom(err);
		return copy_values(inv, op, false, err);
	}
	return adpki_fail(err, ADPKI_ERR_UNEXPECTED, "internal: unknown operation");
}

static int
inverse_rank(plan_op_kind k)
{
	/* After inversion: creates and adds first, then deletes, so a
	 * mandatory attribute always holds a value. */
	switch (k) {
	case PLAN_DELETE_OBJECT: return 0;     /* becomes create */
	case PLAN_DELETE_VALUE: return 1;      /* becomes add */
	case PLAN_ADD_VALUE: return 2;         /* becomes delete-value */
	case PLAN_CREATE_OBJECT: return 3;     /* becomes delete-object */
	}
	return 4;
}

adpki_result
plan_invert(const plan *p, plan **out, adpki_error *err)
{
	plan *q = plan_new();
	size_t start = 0, end, i;
	int rank;

	*out = NULL;
	if (q == NULL)
		return adpki_fail_oom(err);
	while (start < p->op_count) {
		end = start + 1;
		while (end < p->op_count && strcasecmp(p->ops[end].dn, p->ops[start].dn) == 0)
			end++;
		for (rank = 0; rank < 4; rank++) {
			for (i = start; i < end; i++) {
				if (inverse_rank(p->ops[i].kind) == rank &&
				    invert_op(q, &p->ops[i], err) != ADPKI_OK) {
					plan_free(q);
					return err->code;
				}
			}
		}
		start = end;
	}
	plan_recount(q);
	*out = q;
	return ADPKI_OK;
}

static const store_object *
find_for_op(const snapshot *s, const plan_op *op)
{
	if (op->container >= 0 && op->container < CONT_COUNT)
		return plan_find_object(s, op->container, op->object);
	return snapshot_find(s, op->dn);
}

adpki_result
plan_resolve_deletes(plan *p, const snapshot *s, adpki_error *err)
{
	size_t i, k;

	for (i = 0; i < p->op_count; i++) {
		plan_op *op = &p->ops[i];
		const store_object *o;

		if (op->kind != PLAN_DELETE_OBJECT || op->values_known)
			continue;
		o = find_for_op(s, op);
		if (o == NULL)
			continue;
		for (k = 0; k < o->value_count; k++) {
			if (plan_op_add_value(op, o->values[k].attribute, o->values[k].bytes,
			                      o->values[k].len, err) != ADPKI_OK)
				return err->code;
		}
		op->values_known = true;
	}
	plan_recount(p);
	return ADPKI_OK;
}

size_t
plan_drop_absent_deletes(plan *p, const snapshot *s)
{
	size_t i = 0, dropped = 0;

	while (i < p->op_count) {
		plan_op *op = &p->ops[i];
		if (op->kind == PLAN_DELETE_OBJECT && !op->values_known && find_for_op(s, op) == NULL) {
			op_clear(op);
			memmove(op, op + 1, (p->op_count - i - 1) * sizeof *op);
			p->op_count--;
			dropped++;
		} else {
			i++;
		}
	}
	plan_recount(p);
	p->summary.unchanged += dropped;
	return dropped;
}

