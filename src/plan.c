/* plan.c - computing plans (publish, remove, prune, undo) and rendering them
 * as a diff or JSON.  See plan.h for the model.
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
#include "text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

/* Longest object name accepted (AD's rangeUpper of cn is 64). */
#define PLAN_NAME_MAX 64

static const unsigned char placeholder_byte[1] = { 0x00 };

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

static bool
is_cert_attr(const char *attr)
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
 * thumbprints are the hashes of its DER, which is the value). */
static void
thumbprints(const unsigned char *bytes, size_t len, char sha1[41], char sha256[65])
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
		thumbprints(bytes, len, v->sha1, NULL);
		if (is_cert_attr(canon) && cert_from_der(bytes, len, op->dn, &v->cert, &derr) != ADPKI_OK)
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

/* --- object groups: what one object gets ------------------------------ */

typedef struct {
	const char *attribute;
	const unsigned char *bytes;
	size_t len;
} pending_value;

typedef struct {
	int container;
	char *name;
	char *dn;
	const store_object *existing;   /* NULL: to be created */
	pending_value *adds;
	size_t add_count;
} group;

typedef struct {
	group *items;
	size_t count;
} group_list;

static void
groups_clear(group_list *g)
{
	size_t i;

	for (i = 0; i < g->count; i++) {
		free(g->items[i].name);
		free(g->items[i].dn);
		free(g->items[i].adds);
	}
	free(g->items);
}

static bool
value_has(const store_object *o, const char *attr, const unsigned char *bytes, size_t len)
{
	size_t i;

	for (i = 0; o != NULL && i < o->value_count; i++) {
		const store_value *v = &o->values[i];
		if (v->len == len && strcasecmp(v->attribute, attr) == 0 &&
		    memcmp(v->bytes, bytes, len) == 0)
			return true;
	}
	return false;
}

static bool
has_real_attr(const store_object *o, const char *attr)
{
	size_t i;

	for (i = 0; i < o->value_count; i++) {
		if (strcasecmp(o->values[i].attribute, attr) == 0)
			return true;
	}
	return false;
}

/* The object named name in container c (the NTAuth object for CONT_NTAUTH). */
static const store_object *
find_object(const snapshot *s, int c, const char *name)
{
	size_t i;

	for (i = 0; i < s->object_count; i++) {
		const store_object *o = &s->objects[i];
		if ((int)o->container != c)
			continue;
		if (c == CONT_NTAUTH)
			return o;
		if (!o->is_container_root && o->parent_name == NULL && o->name != NULL &&
		    strcasecmp(o->name, name) == 0)
			return o;
	}
	return NULL;
}

static group *
group_get(group_list *g, const snapshot *s, int c, const char *name, adpki_error *err)
{
	group *grown, *gr;
	size_t i;

	for (i = 0; i < g->count; i++) {
		if (g->items[i].container == c && strcasecmp(g->items[i].name, name) == 0)
			return &g->items[i];
	}
	grown = realloc(g->items, (g->count + 1) * sizeof *grown);
	if (grown == NULL) {
		adpki_fail_oom(err);
		return NULL;
	}
	g->items = grown;
	gr = &g->items[g->count];
	memset(gr, 0, sizeof *gr);
	gr->container = c;
	gr->existing = find_object(s, c, name);
	gr->name = strdup(gr->existing != NULL && gr->existing->name != NULL ? gr->existing->name
	                                                                    : name);
	gr->dn = gr->existing != NULL ? strdup(gr->existing->dn)
	                              : store_object_dn(s->pks_dn, (container_id)c, name);
	g->count++;
	if (gr->name == NULL || gr->dn == NULL) {
		adpki_fail_oom(err);
		return NULL;
	}
	return gr;
}

static adpki_result
group_add(group *gr, const char *attr, const cert *c, adpki_error *err)
{
	pending_value *grown;
	size_t i;

	for (i = 0; i < gr->add_count; i++) {   /* the same certificate given twice */
		if (gr->adds[i].attribute == attr && gr->adds[i].len == c->der_len &&
		    memcmp(gr->adds[i].bytes, c->der, c->der_len) == 0)
			return ADPKI_OK;
	}
	grown = realloc(gr->adds, (gr->add_count + 1) * sizeof *grown);
	if (grown == NULL)
		return adpki_fail_oom(err);
	gr->adds = grown;
	gr->adds[gr->add_count].attribute = attr;
	gr->adds[gr->add_count].bytes = c->der;
	gr->adds[gr->add_count].len = c->der_len;
	gr->add_count++;
	return ADPKI_OK;
}

static int
group_order(const void *a, const void *b)
{
	const group *x = a, *y = b;
	int n;

	if (x->container != y->container)
		return x->container - y->container;
	n = strcasecmp(x->name, y->name);
	return n != 0 ? n : strcmp(x->name, y->name);
}

/* Adds a 0x00 placeholder value of attr to op. */
static adpki_result
add_placeholder(plan_op *op, const char *attr, adpki_error *err)
{
	return plan_op_add_value(op, attr, placeholder_byte, 1, err);
}

/* The create-object operation for a new certificationAuthority object:
 * the real values, then a placeholder for each mandatory attribute that
 * has none (cACertificate for a crossca-only object, both revocation lists). */
static adpki_result
emit_create(plan *p, const char *dn, int container, const char *name,
            const pending_value *vals, size_t count, adpki_error *err)
{
	plan_op *op = plan_append_op(p, PLAN_CREATE_OBJECT, dn, container, name);
	bool has_ca = false;
	size_t i;

	if (op == NULL)
		return adpki_fail_oom(err);
	for (i = 0; i < count; i++) {
		if (strcmp(vals[i].attribute, PLAN_ATTR_CA) == 0) {
			if (plan_op_add_value(op, PLAN_ATTR_CA, vals[i].bytes, vals[i].len, err) != ADPKI_OK)
				return err->code;
			has_ca = true;
		}
	}
	if (!has_ca && add_placeholder(op, PLAN_ATTR_CA, err) != ADPKI_OK)
		return err->code;
	for (i = 0; i < count; i++) {
		if (strcmp(vals[i].attribute, PLAN_ATTR_CA) != 0 &&
		    plan_op_add_value(op, vals[i].attribute, vals[i].bytes, vals[i].len, err) != ADPKI_OK)
			return err->code;
	}
	if (add_placeholder(op, PLAN_ATTR_ARL, err) != ADPKI_OK ||
	    add_placeholder(op, PLAN_ATTR_CRL, err) != ADPKI_OK)
		return err->code;
	return ADPKI_OK;
}

static adpki_result
emit_value(plan *p, plan_op_kind kind, const char *dn, int container, const char *name,
           const char *attr, const unsigned char *bytes, size_t len, adpki_error *err)
{
	plan_op *op = plan_append_op(p, kind, dn, container, name);

	if (op == NULL)
		return adpki_fail(err, ADPKI_ERR_UNEXPECTED,
		                  "out of memory or more than %u operations", PLAN_OPS_MAX);
	return plan_op_add_value(op, attr, bytes, len, err);
}

static adpki_result
emit_group(plan *p, const group *gr, adpki_error *err)
{
	const store_object *o = gr->existing;
	bool adds_ca = false;
	size_t i;

	if (gr->add_count == 0)
		return ADPKI_OK;
	if (o == NULL)
		return emit_create(p, gr->dn, gr->container, gr->name, gr->adds, gr->add_count, err);
	for (i = 0; i < gr->add_count; i++) {
		adds_ca |= strcmp(gr->adds[i].attribute, PLAN_ATTR_CA) == 0;
		if (emit_value(p, PLAN_ADD_VALUE, gr->dn, gr->container, gr->name,
		               gr->adds[i].attribute, gr->adds[i].bytes, gr->adds[i].len,
		               err) != ADPKI_OK)
			return err->code;
	}
	/* See the file comment: the object's mandatory cACertificate holds a
	 * placeholder when it has no real value; drop it once a real one is in. */
	if (adds_ca && !has_real_attr(o, PLAN_ATTR_CA) && o->placeholder_count > 0 &&
	    (gr->container == CONT_ROOTCA || gr->container == CONT_AIA ||
	     gr->container == CONT_NTAUTH))
		return emit_value(p, PLAN_DELETE_VALUE, gr->dn, gr->container, gr->name,
		                  PLAN_ATTR_CA, placeholder_byte, 1, err);
	return ADPKI_OK;
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

/* Checks one item and adds it to the groups of its target objects. */
static adpki_result
publish_item(const snapshot *s, const plan_item *it, const plan_publish_options *opt,
             group_list *groups, plan *p, adpki_error *err)
{
	static const struct { plan_role role; int container; const char *attr; } targets[] = {
		{ PLAN_ROLE_ROOTCA, CONT_ROOTCA, PLAN_ATTR_CA },
		{ PLAN_ROLE_ROOTCA, CONT_AIA, PLAN_ATTR_CA },
		{ PLAN_ROLE_SUBCA, CONT_AIA, PLAN_ATTR_CA },
		{ PLAN_ROLE_CROSSCA, CONT_AIA, PLAN_ATTR_CROSS },
		{ PLAN_ROLE_NTAUTH, CONT_NTAUTH, PLAN_ATTR_CA },
	};
	const cert *c = it->cert;
	plan_role role = plan_role_resolve(it->role, c);
	const char *name = it->name != NULL ? it->name : c->ad_name;
	size_t t;

	if (!c->is_ca && (opt == NULL || !opt->force)) {
		char *subj = plan_safe_text(c->subject != NULL ? c->subject : "", true);
		/* An input error (exit 5): the file is what is wrong, not the syntax. */
		adpki_fail(err, ADPKI_ERR_CONFIG,
		           "%s (%s, SHA-1 %s) is not a CA certificate (basicConstraints cA is not "
		           "TRUE): refusing to publish it; use --force to publish it anyway",
		           c->source != NULL ? c->source : "certificate", subj ? subj : "?", c->sha1);
		free(subj);
		return ADPKI_ERR_CONFIG;
	}
	if (c->der_len == 0 || c->der_len > CERT_AD_VALUE_MAX)
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "%s (SHA-1 %s) is %zu bytes: AD holds at most %u bytes per value",
		                  c->source ? c->source : "certificate", c->sha1, c->der_len,
		                  CERT_AD_VALUE_MAX);
	if (role != PLAN_ROLE_NTAUTH) {
		if (name == NULL || *name == '\0')
			return adpki_fail(err, ADPKI_ERR_USAGE,
			                  "%s (SHA-1 %s) has no common name to name its directory "
			                  "object: give one with --name",
			                  c->source ? c->source : "certificate", c->sha1);
		if (strlen(name) > PLAN_NAME_MAX || has_control(name))
			return adpki_fail(err, ADPKI_ERR_USAGE,
			                  "object name for %s must be 1 to %d characters without "
			                  "control characters", c->source ? c->source : "certificate",
			                  PLAN_NAME_MAX);
	} else {
		name = "NTAuthCertificates";
	}
	for (t = 0; t < sizeof targets / sizeof targets[0]; t++) {
		group *gr;

		if (targets[t].role != role)
			continue;
		if (!(s->mask & (1u << targets[t].container)))
			return adpki_fail(err, ADPKI_ERR_UNEXPECTED,
			                  "internal: the snapshot does not cover %s",
			                  container_title((container_id)targets[t].container));
		if (!s->present[targets[t].container] && targets[t].container != CONT_NTAUTH)
			return adpki_fail(err, ADPKI_ERR_DIRECTORY,
			                  "the container %s does not exist under %s; adpki does not "
			                  "create containers (is this an AD forest?)",
			                  container_rdn((container_id)targets[t].container), s->pks_dn);
		gr = group_get(groups, s, targets[t].container, name, err);
		if (gr == NULL)
			return err->code;
		if (value_has(gr->existing, targets[t].attr, c->der, c->der_len)) {
			p->summary.unchanged++;
			continue;
		}
		if (group_add(gr, targets[t].attr, c, err) != ADPKI_OK)
			return err->code;
	}
	return ADPKI_OK;
}

adpki_result
plan_publish(const snapshot *s, const plan_item *items, size_t count,
             const plan_publish_options *opt, plan **out, adpki_error *err)
{
	group_list groups = { NULL, 0 };
	plan *p = plan_new();
	size_t i;

	*out = NULL;
	if (p == NULL)
		return adpki_fail_oom(err);
	for (i = 0; i < count; i++) {
		if (publish_item(s, &items[i], opt, &groups, p, err) != ADPKI_OK)
			goto fail;
	}
	if (groups.count > 1)
		qsort(groups.items, groups.count, sizeof *groups.items, group_order);
	for (i = 0; i < groups.count; i++) {
		if (emit_group(p, &groups.items[i], err) != ADPKI_OK)
			goto fail;
	}
	groups_clear(&groups);
	plan_recount(p);
	*out = p;
	return ADPKI_OK;
fail:
	groups_clear(&groups);
	plan_free(p);
	return err->code;
}

/* --- remove and prune ---------------------------------------------------- */

adpki_result
plan_parse_thumbprint(const char *text, char *out, size_t size, adpki_error *err)
{
	size_t n = 0;
	const char *s;

	for (s = text; *s != '\0'; s++) {
		if (*s == ' ' || *s == ':')
			continue;
		if (!isxdigit((unsigned char)*s) || n >= 64)
			goto bad;
		if (n + 1 < size)
			out[n] = (char)toupper((unsigned char)*s);
		n++;
	}
	if ((n == 40 || n == 64) && n < size) {
		out[n] = '\0';
		return ADPKI_OK;
	}
bad:
	if (size > 0)
		out[0] = '\0';
	return adpki_fail(err, ADPKI_ERR_USAGE,
	                  "'%.80s' is neither a certificate file nor a thumbprint: a thumbprint "
	                  "is 40 (SHA-1) or 64 (SHA-256) hex digits, spaces and colons allowed",
	                  text);
}

typedef bool (*value_pred)(const store_object *o, const store_value *v, void *ctx);

static int
object_index_order(const void *a, const void *b, const snapshot *s)
{
	const store_object *x = &s->objects[*(const size_t *)a];
	const store_object *y = &s->objects[*(const size_t *)b];
	int n;

	if (x->container != y->container)
		return (int)x->container - (int)y->container;
	n = strcasecmp(x->name ? x->name : "", y->name ? y->name : "");
	return n != 0 ? n : strcmp(x->dn, y->dn);
}

static const snapshot *sort_snapshot;   /* qsort has no context argument in C11 */

static int
object_index_cmp(const void *a, const void *b)
{
	return object_index_order(a, b, sort_snapshot);
}

/* The attribute an object must keep a value in, or NULL. */
static const char *
mandatory_attr(int container)
{
	switch (container) {
	case CONT_ROOTCA: case CONT_AIA: case CONT_NTAUTH: case CONT_ENROLLMENT:
		return PLAN_ATTR_CA;
	case CONT_KRA:
		return PLAN_ATTR_USER;
	default:
		return NULL;
	}
}

static adpki_result
remove_from_object(plan *p, const store_object *o, const bool *gone, size_t gone_count,
                   bool keep_empty, adpki_error *err)
{
	const char *name = o->name != NULL ? o->name : o->dn;
	const char *must = mandatory_attr((int)o->container);
	bool deletable = (o->container == CONT_ROOTCA || o->container == CONT_AIA) &&
	                 !o->is_container_root && o->parent_name == NULL && !keep_empty;
	size_t i, must_real = 0, must_gone = 0;

	if (gone_count == o->value_count && deletable) {
		plan_op *op = plan_append_op(p, PLAN_DELETE_OBJECT, o->dn, (int)o->container, name);
		if (op == NULL)
			return adpki_fail_oom(err);
		op->values_known = true;
		for (i = 0; i < o->value_count; i++) {
			if (plan_op_add_value(op, o->values[i].attribute, o->values[i].bytes,
			                      o->values[i].len, err) != ADPKI_OK)
				return err->code;
		}
		return ADPKI_OK;
	}
	for (i = 0; must != NULL && i < o->value_count; i++) {
		if (strcasecmp(o->values[i].attribute, must) == 0) {
			must_real++;
			must_gone += gone[i];
		}
	}
	/* Kept object losing every real value of its mandatory attribute: the
	 * placeholder goes in first (same modify), AD refuses an empty one. */
	if (must_real > 0 && must_gone == must_real &&
	    emit_value(p, PLAN_ADD_VALUE, o->dn, (int)o->container, name, must,
	               placeholder_byte, 1, err) != ADPKI_OK)
		return err->code;
	for (i = 0; i < o->value_count; i++) {
		if (gone[i] && emit_value(p, PLAN_DELETE_VALUE, o->dn, (int)o->container, name,
		                          o->values[i].attribute, o->values[i].bytes,
		                          o->values[i].len, err) != ADPKI_OK)
			return err->code;
	}
	return ADPKI_OK;
}

/* The removal machinery shared by remove and prune. */
static adpki_result
remove_matching(const snapshot *s, unsigned mask, bool keep_empty, value_pred pred, void *ctx,
                plan **out, adpki_error *err)
{
	plan *p = plan_new();
	size_t *order = calloc(s->object_count + 1, sizeof *order);
	bool *gone = NULL;
	size_t i, k, max_values = 1;

	*out = NULL;
	if (p == NULL || order == NULL)
		goto oom;
	for (i = 0; i < s->object_count; i++) {
		order[i] = i;
		if (s->objects[i].value_count > max_values)
			max_values = s->objects[i].value_count;
	}
	gone = calloc(max_values, sizeof *gone);
	if (gone == NULL)
		goto oom;
	sort_snapshot = s;
	qsort(order, s->object_count, sizeof *order, object_index_cmp);
	for (i = 0; i < s->object_count; i++) {
		const store_object *o = &s->objects[order[i]];
		size_t gone_count = 0;

		if (!(mask & (1u << o->container)))
			continue;
		for (k = 0; k < o->value_count; k++) {
			gone[k] = is_cert_attr(o->values[k].attribute) && pred(o, &o->values[k], ctx);
			gone_count += gone[k];
		}
		if (gone_count > 0 &&
		    remove_from_object(p, o, gone, gone_count, keep_empty, err) != ADPKI_OK)
			goto fail;
	}
	free(order);
	free(gone);
	plan_recount(p);
	*out = p;
	return ADPKI_OK;
oom:
	adpki_fail_oom(err);
fail:
	free(order);
	free(gone);
	plan_free(p);
	return err->code;
}

typedef struct {
	const char *const *thumbprints;
	size_t count;
	bool *matched;
} thumb_ctx;

static bool
thumb_pred(const store_object *o, const store_value *v, void *ctx)
{
	thumb_ctx *t = ctx;
	char sha1[41], sha256[65];
	bool hit = false;
	size_t i;

	(void)o;
	thumbprints(v->bytes, v->len, sha1, sha256);
	for (i = 0; i < t->count; i++) {
		if (strcmp(t->thumbprints[i], sha1) == 0 || strcmp(t->thumbprints[i], sha256) == 0) {
			t->matched[i] = true;
			hit = true;
		}
	}
	return hit;
}

adpki_result
plan_remove(const snapshot *s, const char *const *thumbs, size_t count, unsigned mask,
            bool keep_empty, plan **out, adpki_error *err)
{
	char **norm = calloc(count + 1, sizeof *norm);
	bool *matched = calloc(count + 1, sizeof *matched);
	thumb_ctx ctx;
	adpki_result r = ADPKI_OK;
	size_t i;

	*out = NULL;
	if (norm == NULL || matched == NULL) {
		r = adpki_fail_oom(err);
		goto done;
	}
	for (i = 0; i < count && r == ADPKI_OK; i++) {
		norm[i] = malloc(65);
		if (norm[i] == NULL)
			r = adpki_fail_oom(err);
		else
			r = plan_parse_thumbprint(thumbs[i], norm[i], 65, err);
	}
	if (r != ADPKI_OK)
		goto done;
	ctx.thumbprints = (const char *const *)norm;
	ctx.count = count;
	ctx.matched = matched;
	r = remove_matching(s, mask, keep_empty, thumb_pred, &ctx, out, err);
	if (r != ADPKI_OK)
		goto done;
	(*out)->not_found = calloc(count + 1, sizeof *(*out)->not_found);
	if ((*out)->not_found == NULL) {
		plan_free(*out);
		*out = NULL;
		r = adpki_fail_oom(err);
		goto done;
	}
	for (i = 0; i < count; i++) {
		if (!matched[i]) {
			/* Already absent: the removal is idempotent. */
			(*out)->not_found[(*out)->not_found_count++] = norm[i];
			norm[i] = NULL;
			(*out)->summary.unchanged++;
		}
	}
done:
	for (i = 0; norm != NULL && i < count; i++)
		free(norm[i]);
	free(norm);
	free(matched);
	return r;
}

typedef struct {
	const plan_prune_criteria *crit;
} prune_ctx;

static bool
prune_pred(const store_object *o, const store_value *v, void *ctx)
{
	const plan_prune_criteria *c = ((prune_ctx *)ctx)->crit;

	(void)o;
	if (v->cert == NULL)
		return false;
	if (strcasecmp(v->attribute, PLAN_ATTR_CA) != 0 &&
	    strcasecmp(v->attribute, PLAN_ATTR_CROSS) != 0)
		return false;
	return (c->expired && v->cert->not_after < c->expired_before) ||
	       (c->not_ca && !v->cert->is_ca);
}

adpki_result
plan_prune(const snapshot *s, const plan_prune_criteria *crit, unsigned mask, bool keep_empty,
           plan **out, adpki_error *err)
{
	prune_ctx ctx = { crit };

	*out = NULL;
	if (!crit->expired && !crit->not_ca)
		return adpki_fail(err, ADPKI_ERR_USAGE,
		                  "prune needs --expired, --expired-before=DATE or --not-ca");
	return remove_matching(s, mask, keep_empty, prune_pred, &ctx, out, err);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * well-known civil-date arithmetic). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

adpki_result
plan_parse_date(const char *text, time_t *out, adpki_error *err)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h = 0, mi = 0, sec = 0;
	int n = 0, len = (int)strlen(text);

	if (len == 10 && sscanf(text, "%4u-%2u-%2u%n", &y, &mo, &d, &n) == 3 && n == 10)
		;
	else if (len == 20 && sscanf(text, "%4u-%2u-%2uT%2u:%2u:%2uZ%n", &y, &mo, &d, &h, &mi,
	                             &sec, &n) == 6 && n == 20)
		;
	else
		goto bad;
	if (!isdigit((unsigned char)text[0]) || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 59 || y < 1970)
		goto bad;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		goto bad;
	*out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec);
	return ADPKI_OK;
bad:
	return adpki_fail(err, ADPKI_ERR_USAGE,
	                  "'%.40s' is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)",
	                  text);
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
		r = emit_create(q, op->dn, op->container, op->object, vals, n, err);
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
		return find_object(s, op->container, op->object);
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

/* --- text safety ------------------------------------------------------------ */

typedef struct {
	char *buf;
	size_t len, cap;
	bool failed;
} strbuf;

static void
sb_add(strbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *grown;
		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->buf, cap);
		if (grown == NULL) {
			b->failed = true;
			return;
		}
		b->buf = grown;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

char *
plan_safe_text(const char *s, bool ascii_only)
{
	return text_safe_line(s, TEXT_DOUBLE_BACKSLASH | (ascii_only ? TEXT_ASCII_ONLY : 0));
}

char *
plan_op_label(const plan_op *op)
{
	strbuf b = { NULL, 0, 0, false };

	if (op->container == CONT_NTAUTH) {
		sb_add(&b, "NTAuthCertificates", 18);
	} else if (op->container >= 0 && op->container < CONT_COUNT) {
		const char *t = container_title((container_id)op->container);
		sb_add(&b, t, strlen(t));
		sb_add(&b, "/", 1);
		sb_add(&b, op->object, strlen(op->object));
	} else {
		sb_add(&b, op->dn, strlen(op->dn));
	}
	if (b.failed) {
		free(b.buf);
		return NULL;
	}
	return b.buf;
}

/* --- diff ------------------------------------------------------------------- */

static adpki_result
diff_value(FILE *out, char sign, const char *label, const plan_value *v)
{
	char when[32];
	char *subj;

	if (v->placeholder) {
		fprintf(out, "%c %s: %s 0x00 placeholder\n", sign, label, v->attribute);
		return ADPKI_OK;
	}
	if (v->cert == NULL) {
		fprintf(out, "%c %s: %s %s (%zu bytes, not a certificate)\n", sign, label,
		        v->attribute, v->sha1, v->len);
		return ADPKI_OK;
	}
	subj = plan_safe_text(v->cert->subject, false);
	if (subj == NULL)
		return ADPKI_ERR_UNEXPECTED;
	cert_format_time(v->cert->not_after, when, sizeof when);
	/* The subject last: it is free text, the fields before it are fixed. */
	fprintf(out, "%c %s: %s %s expires %s %s\n", sign, label, v->attribute, v->sha1, when,
	        subj);
	free(subj);
	return ADPKI_OK;
}

adpki_result
plan_render_op(const plan_op *op, FILE *out)
{
	char *raw = plan_op_label(op), *label = plan_safe_text(raw, false);
	adpki_result r = ADPKI_OK;
	char sign = op->kind == PLAN_CREATE_OBJECT || op->kind == PLAN_ADD_VALUE ? '+' : '-';
	size_t i;

	free(raw);
	if (label == NULL)
		return ADPKI_ERR_UNEXPECTED;
	if (op->kind == PLAN_CREATE_OBJECT)
		fprintf(out, "+ %s: new %s object\n", label, PLAN_OBJECT_CLASS);
	else if (op->kind == PLAN_DELETE_OBJECT)
		fprintf(out, "- %s: object deleted%s\n", label,
		        op->values_known ? "" : " (its values are not listed in the plan)");
	for (i = 0; i < op->value_count && r == ADPKI_OK; i++)
		r = diff_value(out, sign, label, &op->values[i]);
	free(label);
	return r;
}

void
plan_summary_line(const plan_summary *sum, char *buf, size_t size)
{
	snprintf(buf, size, "%zu objects created, %zu deleted, %zu values added, %zu removed, "
	         "%zu unchanged", sum->objects_created, sum->objects_deleted, sum->values_added,
	         sum->values_removed, sum->unchanged);
}

adpki_result
plan_render_diff(const plan *p, FILE *out, adpki_error *err)
{
	char line[256];
	size_t i;

	for (i = 0; i < p->op_count; i++) {
		if (plan_render_op(&p->ops[i], out) != ADPKI_OK)
			return adpki_fail_oom(err);
	}
	plan_summary_line(&p->summary, line, sizeof line);
	fprintf(out, "%s\n", line);
	if (fflush(out) != 0 || ferror(out))
		return adpki_fail(err, ADPKI_ERR_CONFIG, "cannot write the plan: output error");
	return ADPKI_OK;
}

/* --- JSON ------------------------------------------------------------------- */

static int
json_set_text(json_t *obj, const char *key, const char *text)
{
	char *clean = text_utf8_clean(text);
	int rc = clean != NULL ? json_object_set_new(obj, key, json_string(clean)) : -1;

	free(clean);
	return rc;
}

/* The fields of one value: attribute, sha1, subject, not_after, placeholder. */
static int
json_value_fields(json_t *obj, const plan_value *v)
{
	char when[32];
	int rc = json_object_set_new(obj, "attribute", json_string(v->attribute));

	rc |= json_object_set_new(obj, "placeholder", json_boolean(v->placeholder));
	rc |= json_object_set_new(obj, "sha1", v->placeholder ? json_null() : json_string(v->sha1));
	if (v->cert != NULL) {
		cert_format_time(v->cert->not_after, when, sizeof when);
		rc |= json_set_text(obj, "subject", v->cert->subject);
		rc |= json_object_set_new(obj, "not_after", json_string(when));
	} else {
		rc |= json_object_set_new(obj, "subject", json_null());
		rc |= json_object_set_new(obj, "not_after", json_null());
	}
	return rc;
}

static json_t *
json_op(const plan_op *op)
{
	json_t *obj = json_object(), *vals;
	int rc;
	size_t i;

	if (obj == NULL)
		return NULL;
	rc = json_object_set_new(obj, "op", json_string(plan_op_kind_name(op->kind)));
	rc |= json_object_set_new(obj, "container",
	                          op->container >= 0 ? json_string(container_name(op->container))
	                                             : json_null());
	rc |= json_set_text(obj, "dn", op->dn);
	rc |= json_set_text(obj, "object", op->object);
	if (op->kind == PLAN_ADD_VALUE || op->kind == PLAN_DELETE_VALUE) {
		if (op->value_count == 1)
			rc |= json_value_fields(obj, &op->values[0]);
	} else {
		if (op->kind == PLAN_CREATE_OBJECT)
			rc |= json_object_set_new(obj, "object_class", json_string(PLAN_OBJECT_CLASS));
		vals = json_array();
		rc |= json_object_set_new(obj, "values", vals);
		for (i = 0; vals != NULL && i < op->value_count; i++) {
			json_t *v = json_object();
			rc |= v == NULL ? -1 : json_value_fields(v, &op->values[i]);
			rc |= json_array_append_new(vals, v);
		}
		if (op->kind == PLAN_DELETE_OBJECT)
			rc |= json_object_set_new(obj, "values_known", json_boolean(op->values_known));
	}
	if (rc != 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

json_t *
plan_to_json(const plan *p)
{
	json_t *root = json_object(), *ops = json_array(), *sum = json_object(), *nf = json_array();
	int rc = root && ops && sum && nf ? 0 : -1;
	size_t i;

	for (i = 0; rc == 0 && i < p->op_count; i++)
		rc |= json_array_append_new(ops, json_op(&p->ops[i]));
	for (i = 0; rc == 0 && i < p->not_found_count; i++)
		rc |= json_array_append_new(nf, json_string(p->not_found[i]));
	if (rc == 0) {
		rc |= json_object_set_new(sum, "objects_created",
		                          json_integer((json_int_t)p->summary.objects_created));
		rc |= json_object_set_new(sum, "objects_deleted",
		                          json_integer((json_int_t)p->summary.objects_deleted));
		rc |= json_object_set_new(sum, "values_added",
		                          json_integer((json_int_t)p->summary.values_added));
		rc |= json_object_set_new(sum, "values_removed",
		                          json_integer((json_int_t)p->summary.values_removed));
		rc |= json_object_set_new(sum, "unchanged",
		                          json_integer((json_int_t)p->summary.unchanged));
		rc |= json_object_set_new(root, "operations", ops);
		ops = NULL;
		rc |= json_object_set_new(root, "summary", sum);
		sum = NULL;
		rc |= json_object_set_new(root, "not_found", nf);
		nf = NULL;
	}
	json_decref(ops);
	json_decref(sum);
	json_decref(nf);
	if (rc != 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}
