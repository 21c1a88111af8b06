/* plan-publish.c - the plan that makes certificates present (publish,
 * dspublish): one group of values per object, new objects with AD's
 * placeholders, values already there counted as unchanged. */
#include "config.h"
#include "plan.h"
#include "plan-internal.h"

#include <stdlib.h>
#include <string.h>

/* --- object groups: what one object gets ------------------------------ */

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
const store_object *
plan_find_object(const snapshot *s, int c, const char *name)
{
	if (c < 0 || c >= CONT_COUNT)
		return NULL;
	return snapshot_find_name(s, (container_id)c, name);
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
	gr->existing = plan_find_object(s, c, name);
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
	return plan_op_add_value(op, attr, plan_placeholder_byte, 1, err);
}

/* The create-object operation for a new certificationAuthority object:
 * the real values, then a placeholder for each mandatory attribute that
 * has none (cACertificate for a crossca-only object, both revocation lists). */
adpki_result
plan_emit_create(plan *p, const char *dn, int container, const char *name,
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

adpki_result
plan_emit_value(plan *p, plan_op_kind kind, const char *dn, int container, const char *name,
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
		return plan_emit_create(p, gr->dn, gr->container, gr->name, gr->adds, gr->add_count, err);
	for (i = 0; i < gr->add_count; i++) {
		adds_ca |= strcmp(gr->adds[i].attribute, PLAN_ATTR_CA) == 0;
		if (plan_emit_value(p, PLAN_ADD_VALUE, gr->dn, gr->container, gr->name,
		               gr->adds[i].attribute, gr->adds[i].bytes, gr->adds[i].len,
		               err) != ADPKI_OK)
			return err->code;
	}
	/* See the file comment: the object's mandatory cACertificate holds a
	 * placeholder when it has no real value; drop it once a real one is in. */
	if (adds_ca && !has_real_attr(o, PLAN_ATTR_CA) && o->placeholder_count > 0 &&
	    (gr->container == CONT_ROOTCA || gr->container == CONT_AIA ||
	     gr->container == CONT_NTAUTH))
		return plan_emit_value(p, PLAN_DELETE_VALUE, gr->dn, gr->container, gr->name,
		                  PLAN_ATTR_CA, plan_placeholder_byte, 1, err);
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

