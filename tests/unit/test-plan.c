/* test-plan.c - planning (publish, remove, prune, undo) and rendering.
 *
 * Plans are checked field by field, and also executed against a small
 * in-memory model of the directory with LDAP's rules (adding a value that
 * exists, deleting one that does not, creating an existing object, leaving
 * a mandatory attribute empty are errors; a modify is atomic), so the
 * order of operations and the undo plans are tested, not just listed. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan.h"
#include "tap.h"
#include "plan-fixtures.h"

#define YEAR (365 * 86400L)

/* --- a model directory -------------------------------------------------- */

typedef struct {
	const char *attr;
	unsigned char *b;
	size_t len;
} mval;

typedef struct {
	char *dn;
	int container;
	mval *v;
	size_t n;
} mobj;

typedef struct {
	mobj *o;
	size_t n;
} model;

static void
mobj_add(mobj *o, const char *attr, const unsigned char *b, size_t len)
{
	o->v = realloc(o->v, (o->n + 1) * sizeof *o->v);
	o->v[o->n].attr = attr;
	o->v[o->n].b = malloc(len);
	memcpy(o->v[o->n].b, b, len);
	o->v[o->n].len = len;
	o->n++;
}

static size_t
mobj_count(const mobj *o, const char *attr)
{
	size_t i, n = 0;

	for (i = 0; i < o->n; i++)
		n += strcasecmp(o->v[i].attr, attr) == 0;
	return n;
}

static long
mobj_find(const mobj *o, const char *attr, const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		if (strcasecmp(o->v[i].attr, attr) == 0 && o->v[i].len == len &&
		    memcmp(o->v[i].b, b, len) == 0)
			return (long)i;
	}
	return -1;
}

static void
mobj_clear(mobj *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->v[i].b);
	free(o->v);
	free(o->dn);
}

static void
model_clear(model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		mobj_clear(&m->o[i]);
	free(m->o);
	m->o = NULL;
	m->n = 0;
}

static const unsigned char zero[1] = { 0 };

/* The directory a snapshot describes, with the placeholders AD holds. */
static void
model_from_snapshot(model *m, const snapshot *s)
{
	size_t i, k;

	memset(m, 0, sizeof *m);
	for (i = 0; i < s->object_count; i++) {
		const store_object *so = &s->objects[i];
		mobj *o;

		m->o = realloc(m->o, (m->n + 1) * sizeof *m->o);
		o = &m->o[m->n++];
		memset(o, 0, sizeof *o);
		o->dn = strdup(so->dn);
		o->container = (int)so->container;
		for (k = 0; k < so->value_count; k++)
			mobj_add(o, so->values[k].attribute, so->values[k].bytes, so->values[k].len);
		if (mobj_count(o, "cACertificate") == 0)
			mobj_add(o, "cACertificate", zero, 1);
		if (so->container != CONT_NTAUTH) {
			mobj_add(o, "authorityRevocationList", zero, 1);
			mobj_add(o, "certificateRevocationList", zero, 1);
		}
	}
}

static long
model_find(const model *m, const char *dn)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (strcasecmp(m->o[i].dn, dn) == 0)
			return (long)i;
	}
	return -1;
}

static bool
mobj_valid(const mobj *o)
{
	if (mobj_count(o, "cACertificate") == 0)
		return false;
	return o->container == CONT_NTAUTH || (mobj_count(o, "authorityRevocationList") > 0 &&
	                                       mobj_count(o, "certificateRevocationList") > 0);
}

/* Executes p against m with LDAP's rules (plus: no value operation may
 * leave a mandatory attribute empty, even inside one modify); returns NULL
 * or what failed. */
static const char *
model_apply(model *m, const plan *p)
{
	size_t i = 0, k;

	while (i < p->op_count) {
		const plan_op *op = &p->ops[i];
		long at = model_find(m, op->dn);

		if (op->kind == PLAN_CREATE_OBJECT) {
			mobj *o;
			if (at >= 0)
				return "entryAlreadyExists";
			m->o = realloc(m->o, (m->n + 1) * sizeof *m->o);
			o = &m->o[m->n++];
			memset(o, 0, sizeof *o);
			o->dn = strdup(op->dn);
			o->container = op->container;
			for (k = 0; k < op->value_count; k++) {
				if (mobj_find(o, op->values[k].attribute, op->values[k].bytes,
				              op->values[k].len) >= 0)
					return "duplicate value in add";
				mobj_add(o, op->values[k].attribute, op->values[k].bytes, op->values[k].len);
			}
			if (!mobj_valid(o))
				return "objectClassViolation on create";
			i++;
		} else if (op->kind == PLAN_DELETE_OBJECT) {
			size_t real = 0;
			if (at < 0)
				return "noSuchObject";
			/* The plan must know exactly what is lost. */
			for (k = 0; k < m->o[at].n; k++)
				real += m->o[at].v[k].len > 1;
			if (!op->values_known || real != op->value_count)
				return "delete-object values differ from the object";
			for (k = 0; k < op->value_count; k++) {
				if (mobj_find(&m->o[at], op->values[k].attribute, op->values[k].bytes,
				              op->values[k].len) < 0)
					return "delete-object value not in the object";
			}
			mobj_clear(&m->o[at]);
			m->o[at] = m->o[--m->n];
			i++;
		} else {
			/* One modify: all value ops on this DN, atomic. */
			mobj work;
			size_t end = i;
			if (at < 0)
				return "noSuchObject (modify)";
			memset(&work, 0, sizeof work);
			work.dn = strdup(m->o[at].dn);
			work.container = m->o[at].container;
			for (k = 0; k < m->o[at].n; k++)
				mobj_add(&work, m->o[at].v[k].attr, m->o[at].v[k].b, m->o[at].v[k].len);
			while (end < p->op_count && strcasecmp(p->ops[end].dn, op->dn) == 0 &&
			       (p->ops[end].kind == PLAN_ADD_VALUE ||
			        p->ops[end].kind == PLAN_DELETE_VALUE)) {
				const plan_value *v = &p->ops[end].values[0];
				long f = mobj_find(&work, v->attribute, v->bytes, v->len);
				if (p->ops[end].kind == PLAN_ADD_VALUE) {
					if (f >= 0) {
						mobj_clear(&work);
						return "attributeOrValueExists";
					}
					mobj_add(&work, v->attribute, v->bytes, v->len);
				} else {
					if (f < 0) {
						mobj_clear(&work);
						return "noSuchAttribute";
					}
					free(work.v[f].b);
					work.v[f] = work.v[--work.n];
				}
				/* Stricter than LDAP (which checks the end of a modify):
				 * every prefix must be valid, so the plan stays safe
				 * even if its operations are sent one at a time. */
				if (!mobj_valid(&work)) {
					mobj_clear(&work);
					return "mandatory attribute emptied inside a modify";
				}
				end++;
			}
			if (!mobj_valid(&work)) {
				mobj_clear(&work);
				return "objectClassViolation (mandatory attribute emptied)";
			}
			mobj_clear(&m->o[at]);
			m->o[at] = work;
			i = end;
		}
	}
	return NULL;
}

static bool
model_equal(const model *a, const model *b)
{
	size_t i, k;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		long j = model_find(b, a->o[i].dn);
		if (j < 0 || a->o[i].n != b->o[j].n)
			return false;
		for (k = 0; k < a->o[i].n; k++) {
			const mval *v = &a->o[i].v[k];
			if (mobj_find(&b->o[j], v->attr, v->b, v->len) < 0)
				return false;
		}
	}
	return true;
}

/* Applies p, then its inverse: the model must be back where it started. */
static void
check_roundtrip(const snapshot *s, const plan *p, const char *what)
{
	model before, m;
	plan *undo = NULL;
	adpki_error err;
	const char *fail;
	char msg[200];

	model_from_snapshot(&before, s);
	model_from_snapshot(&m, s);
	fail = model_apply(&m, p);
	snprintf(msg, sizeof msg, "%s: plan applies under LDAP rules", what);
	OK(fail == NULL, msg);
	if (fail != NULL)
		printf("#   %s\n", fail);
	snprintf(msg, sizeof msg, "%s: undo plan computed", what);
	OK(plan_invert(p, &undo, &err) == ADPKI_OK, msg);
	if (undo != NULL) {
		fail = model_apply(&m, undo);
		snprintf(msg, sizeof msg, "%s: undo applies under LDAP rules", what);
		OK(fail == NULL, msg);
		if (fail != NULL)
			printf("#   %s\n", fail);
		snprintf(msg, sizeof msg, "%s: undo restores exactly what was there", what);
		OK(model_equal(&before, &m), msg);
	}
	plan_free(undo);
	model_clear(&before);
	model_clear(&m);
}

/* --- helpers ------------------------------------------------------------ */

static char *
diff_of(const plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	adpki_error err;

	plan_render_diff(p, f, &err);
	fclose(f);
	return buf;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static bool
value_is(const plan_value *v, const char *attr, const cert *c)
{
	if (strcmp(v->attribute, attr) != 0)
		return false;
	if (c == NULL)
		return v->placeholder && v->len == 1 && v->bytes[0] == 0;
	return !v->placeholder && v->len == c->der_len && memcmp(v->bytes, c->der, v->len) == 0 &&
	       v->cert != NULL && strcmp(v->cert->sha1, c->sha1) == 0;
}

static fx_ca root, root2, sub, expired, leaf, other;
static time_t now;

static void
test_roles(void)
{
	plan_role r;
	adpki_error err;

	OK(plan_role_parse("rootca", &r, &err) == ADPKI_OK && r == PLAN_ROLE_ROOTCA, "role rootca");
	OK(plan_role_parse("RootCA", &r, &err) == ADPKI_OK && r == PLAN_ROLE_ROOTCA, "role RootCA");
	OK(plan_role_parse("SUBCA", &r, &err) == ADPKI_OK && r == PLAN_ROLE_SUBCA, "role SUBCA");
	OK(plan_role_parse("CrossCA", &r, &err) == ADPKI_OK && r == PLAN_ROLE_CROSSCA,
	   "role CrossCA");
	OK(plan_role_parse("NTAuthCA", &r, &err) == ADPKI_OK && r == PLAN_ROLE_NTAUTH,
	   "role NTAuthCA");
	OK(plan_role_parse("ntauth", &r, &err) == ADPKI_OK && r == PLAN_ROLE_NTAUTH, "role ntauth");
	OK(plan_role_parse("Auto", &r, &err) == ADPKI_OK && r == PLAN_ROLE_AUTO, "role Auto");
	OK(plan_role_parse("root", &r, &err) == ADPKI_ERR_USAGE, "role 'root' is a usage error");
	OK(strstr(err.message, "rootca") != NULL, "role error lists the roles");
	OK(plan_role_parse("", &r, &err) == ADPKI_ERR_USAGE, "empty role refused");
	IS_INT(plan_role_resolve(PLAN_ROLE_AUTO, root.c), PLAN_ROLE_ROOTCA,
	       "auto: self-signed CA is rootca");
	IS_INT(plan_role_resolve(PLAN_ROLE_AUTO, sub.c), PLAN_ROLE_SUBCA,
	       "auto: issued CA is subca");
	IS_INT(plan_role_resolve(PLAN_ROLE_AUTO, leaf.c), PLAN_ROLE_SUBCA,
	       "auto: a (forced) non-CA never becomes rootca");
	IS_INT(plan_role_resolve(PLAN_ROLE_CROSSCA, root.c), PLAN_ROLE_CROSSCA,
	       "explicit role kept");
}

static void
test_publish_new(void)
{
	snapshot *s = fx_snapshot();
	plan_item it = { sub.c, PLAN_ROLE_SUBCA, NULL };
	plan *p = NULL;
	adpki_error err;
	char *dn = store_object_dn(FX_PKS, CONT_AIA, sub.c->ad_name);

	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_OK, "publish subca into empty AIA");
	IS_INT(p->op_count, 1, "one operation");
	IS_INT(p->ops[0].kind, PLAN_CREATE_OBJECT, "create-object");
	IS_STR(p->ops[0].dn, dn, "object DN from the MS-WCCE name");
	IS_STR(p->ops[0].object, sub.c->ad_name, "object name is ad_name");
	IS_INT(p->ops[0].container, CONT_AIA, "in AIA");
	IS_INT(p->ops[0].value_count, 3, "three values");
	OK(value_is(&p->ops[0].values[0], "cACertificate", sub.c), "cACertificate is the cert");
	OK(value_is(&p->ops[0].values[1], "authorityRevocationList", NULL), "ARL 0x00");
	OK(value_is(&p->ops[0].values[2], "certificateRevocationList", NULL), "CRL 0x00");
	IS_INT(p->summary.objects_created, 1, "1 object created");
	IS_INT(p->summary.values_added, 1, "1 value added (placeholders not counted)");
	check_roundtrip(s, p, "publish new subca");
	plan_free(p);

	/* Name override. */
	it.name = "Other Name";
	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_OK, "publish with --name");
	IS_STR(p->ops[0].object, "Other Name", "override name used");
	plan_free(p);
	it.name = "bad\nname";
	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_ERR_USAGE && p == NULL,
	   "name with a control character refused");
	free(dn);
	snapshot_free(s);
}

static void
test_publish_rootca(void)
{
	snapshot *s = fx_snapshot();
	plan_item it = { root.c, PLAN_ROLE_AUTO, NULL };
	plan *p = NULL;
	adpki_error err;

	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_OK, "publish auto self-signed CA");
	IS_INT(p->op_count, 2, "rootca: two objects");
	IS_INT(p->ops[0].container, CONT_ROOTCA, "first Certification Authorities");
	IS_INT(p->ops[1].container, CONT_AIA, "then AIA");
	OK(p->ops[0].kind == PLAN_CREATE_OBJECT && p->ops[1].kind == PLAN_CREATE_OBJECT,
	   "both created");
	IS_INT(p->summary.objects_created, 2, "summary 2 created");
	IS_INT(p->summary.values_added, 2, "summary 2 values");
	check_roundtrip(s, p, "publish rootca");
	plan_free(p);
	snapshot_free(s);
}

static void
test_publish_existing(void)
{
	snapshot *s = fx_snapshot();
	size_t aia = fx_object(s, CONT_AIA, root.c->ad_name, 1);
	size_t ca = fx_object(s, CONT_ROOTCA, root.c->ad_name, 1);
	plan_item it = { root2.c, PLAN_ROLE_ROOTCA, NULL };
	plan_item same = { root.c, PLAN_ROLE_ROOTCA, NULL };
	plan *p = NULL;
	adpki_error err;

	fx_value(s, aia, "cACertificate", root.c);
	fx_value(s, ca, "cACertificate", root.c);
	/* root2 is a renewal: same CN, new key. */
	IS_STR(root2.c->ad_name, root.c->ad_name, "renewed CA has the same name");
	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_OK, "publish renewed root");
	IS_INT(p->op_count, 2, "two operations");
	OK(p->ops[0].kind == PLAN_ADD_VALUE && p->ops[1].kind == PLAN_ADD_VALUE,
	   "renewed CA: add-value, no create");
	OK(value_is(&p->ops[0].values[0], "cACertificate", root2.c), "the new value");
	IS_STR(p->ops[1].dn, s->objects[aia].dn, "existing object's DN is used");
	IS_INT(p->summary.objects_created, 0, "nothing created");
	IS_INT(p->summary.values_added, 2, "two values added");
	check_roundtrip(s, p, "publish renewed root");
	plan_free(p);

	OK(plan_publish(s, &same, 1, NULL, &p, &err) == ADPKI_OK, "publish what is there");
	IS_INT(p->op_count, 0, "already present: no operation");
	IS_INT(p->summary.unchanged, 2, "already present: 2 unchanged");
	OK(plan_is_empty(p), "plan is empty");
	plan_free(p);

	/* Two certificates for one new object: one create with both. */
	{
		plan_item two[2] = { { sub.c, PLAN_ROLE_SUBCA, "Shared" },
		                     { other.c, PLAN_ROLE_SUBCA, "Shared" } };
		OK(plan_publish(s, two, 2, NULL, &p, &err) == ADPKI_OK, "two certs, one new object");
		IS_INT(p->op_count, 1, "one create");
		IS_INT(p->ops[0].value_count, 4, "two certs + two placeholders");
		OK(value_is(&p->ops[0].values[0], "cACertificate", sub.c) &&
		   value_is(&p->ops[0].values[1], "cACertificate", other.c), "both certificates");
		IS_INT(p->summary.values_added, 2, "2 values added");
		check_roundtrip(s, p, "publish two into one new object");
		plan_free(p);
	}
	/* The same certificate twice is one value. */
	{
		plan_item dup[2] = { { sub.c, PLAN_ROLE_SUBCA, NULL }, { sub.c, PLAN_ROLE_SUBCA, NULL } };
		OK(plan_publish(s, dup, 2, NULL, &p, &err) == ADPKI_OK, "same cert twice");
		IS_INT(p->ops[0].value_count, 3, "added once");
		plan_free(p);
	}
	snapshot_free(s);
}

static void
test_publish_ntauth(void)
{
	snapshot *s = fx_snapshot();
	plan_item it = { root.c, PLAN_ROLE_NTAUTH, NULL };
	plan *p = NULL;
	adpki_error err;
	char *dn = store_container_dn(FX_PKS, CONT_NTAUTH);
	size_t nt;

	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_OK, "ntauth into a forest without it");
	IS_INT(p->op_count, 1, "one operation");
	IS_INT(p->ops[0].kind, PLAN_CREATE_OBJECT, "NTAuthCertificates created");
	IS_STR(p->ops[0].dn, dn, "NTAuth DN");
	IS_STR(p->ops[0].object, "NTAuthCertificates", "NTAuth name");
	IS_INT(p->summary.objects_created, 1, "summary says so");
	check_roundtrip(s, p, "publish ntauth (create)");
	plan_free(p);

	/* Existing NTAuth holding only its placeholder. */
	nt = fx_object(s, CONT_NTAUTH, NULL, 1);
	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_OK, "ntauth into placeholder object");
	IS_INT(p->op_count, 2, "two operations");
	OK(p->ops[0].kind == PLAN_ADD_VALUE && value_is(&p->ops[0].values[0], "cACertificate",
	   root.c), "add the certificate first");
	OK(p->ops[1].kind == PLAN_DELETE_VALUE && value_is(&p->ops[1].values[0], "cACertificate",
	   NULL), "then delete the 0x00 placeholder");
	IS_INT(p->summary.values_added, 1, "1 added");
	IS_INT(p->summary.values_removed, 0, "placeholder not counted as removed");
	check_roundtrip(s, p, "publish ntauth (placeholder object)");
	plan_free(p);

	/* NTAuth with a real value: plain add. */
	fx_value(s, nt, "cACertificate", sub.c);
	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_OK, "ntauth with values");
	IS_INT(p->op_count, 1, "just the add");
	plan_free(p);
	free(dn);
	snapshot_free(s);
}

static void
test_publish_crossca(void)
{
	snapshot *s = fx_snapshot();
	plan_item it = { other.c, PLAN_ROLE_CROSSCA, NULL };
	plan *p = NULL;
	adpki_error err;
	size_t o;

	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_OK, "crossca new object");
	IS_INT(p->ops[0].kind, PLAN_CREATE_OBJECT, "created");
	IS_INT(p->ops[0].container, CONT_AIA, "in AIA");
	IS_INT(p->ops[0].value_count, 4, "four values");
	OK(value_is(&p->ops[0].values[0], "cACertificate", NULL),
	   "mandatory cACertificate gets a placeholder");
	OK(value_is(&p->ops[0].values[1], "crossCertificatePair", other.c),
	   "certificate in crossCertificatePair");
	IS_INT(p->summary.values_added, 1, "1 value added");
	check_roundtrip(s, p, "publish crossca");
	plan_free(p);

	/* Existing object with a cACertificate: a crossca add leaves it alone. */
	o = fx_object(s, CONT_AIA, other.c->ad_name, 1);
	fx_value(s, o, "cACertificate", other.c);
	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_OK, "crossca into existing object");
	IS_INT(p->op_count, 1, "one add-value");
	OK(value_is(&p->ops[0].values[0], "crossCertificatePair", other.c), "cross value");
	plan_free(p);
	snapshot_free(s);
}

static void
test_publish_refusals(void)
{
	snapshot *s = fx_snapshot();
	plan_item it = { leaf.c, PLAN_ROLE_AUTO, NULL };
	plan_publish_options force = { true };
	plan *p = NULL;
	adpki_error err;

	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_ERR_CONFIG && p == NULL,
	   "non-CA refused as an input error (exit 5)");
	OK(strstr(err.message, "--force") != NULL && strstr(err.message, leaf.c->sha1) != NULL,
	   "message names the certificate and --force");
	OK(plan_publish(s, &it, 1, &force, &p, &err) == ADPKI_OK, "non-CA with --force");
	IS_INT(p->ops[0].container, CONT_AIA, "forced non-CA goes to AIA");
	plan_free(p);

	s->present[CONT_AIA] = false;
	it.cert = sub.c;
	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_ERR_DIRECTORY && p == NULL,
	   "missing AIA container is an error");
	OK(strstr(err.message, "CN=AIA") != NULL, "message names the container");
	s->mask = 1u << CONT_ROOTCA;
	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_ERR_UNEXPECTED,
	   "snapshot not covering AIA is an internal error");
	snapshot_free(s);
}

static void
test_thumbprints(void)
{
	char out[65];
	adpki_error err;

	OK(plan_parse_thumbprint("ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01",
	                         out, sizeof out, &err) == ADPKI_OK, "colons, lower case");
	IS_STR(out, "ABCDEF0123456789ABCDEF0123456789ABCDEF01", "normalized");
	OK(plan_parse_thumbprint("abcd ef01 2345 6789 abcd ef01 2345 6789 abcd ef01", out,
	                         sizeof out, &err) == ADPKI_OK, "spaces");
	IS_STR(out, "ABCDEF0123456789ABCDEF0123456789ABCDEF01", "normalized (spaces)");
	OK(plan_parse_thumbprint(sub.c->sha256, out, sizeof out, &err) == ADPKI_OK, "SHA-256");
	IS_STR(out, sub.c->sha256, "SHA-256 kept");
	OK(plan_parse_thumbprint("ABCDEF0123456789ABCDEF0123456789ABCDEF0", out, sizeof out,
	                         &err) == ADPKI_ERR_USAGE, "39 digits refused");
	OK(strstr(err.message, "40") != NULL && strstr(err.message, "64") != NULL,
	   "message says 40 or 64");
	OK(plan_parse_thumbprint("ABCDEF0123456789ABCDEF0123456789ABCDEF0G", out, sizeof out,
	                         &err) == ADPKI_ERR_USAGE, "non-hex refused");
	OK(plan_parse_thumbprint("", out, sizeof out, &err) == ADPKI_ERR_USAGE, "empty refused");
	OK(plan_parse_thumbprint("ABCDEF0123456789ABCDEF0123456789ABCDEF01-", out, sizeof out,
	                         &err) == ADPKI_ERR_USAGE, "dash refused");
}

/* A forest: root in CA+AIA, root2 also on the CA object, sub in AIA,
 * sub in NTAuth, expired in AIA, leaf on an AIA object of its own. */
static snapshot *
forest(void)
{
	snapshot *s = fx_snapshot();
	size_t o;

	o = fx_object(s, CONT_ROOTCA, root.c->ad_name, 1);
	fx_value(s, o, "cACertificate", root.c);
	fx_value(s, o, "cACertificate", root2.c);
	o = fx_object(s, CONT_AIA, root.c->ad_name, 1);
	fx_value(s, o, "cACertificate", root.c);
	o = fx_object(s, CONT_AIA, sub.c->ad_name, 1);
	fx_value(s, o, "cACertificate", sub.c);
	o = fx_object(s, CONT_NTAUTH, NULL, 0);
	fx_value(s, o, "cACertificate", sub.c);
	o = fx_object(s, CONT_AIA, expired.c->ad_name, 1);
	fx_value(s, o, "cACertificate", expired.c);
	fx_value(s, o, "crossCertificatePair", other.c);
	o = fx_object(s, CONT_AIA, leaf.c->ad_name, 1);
	fx_value(s, o, "cACertificate", leaf.c);
	return s;
}

static const plan_op *
op_for(const plan *p, int container, const char *name, size_t nth)
{
	size_t i;

	for (i = 0; i < p->op_count; i++) {
		if (p->ops[i].container == container && strcmp(p->ops[i].object, name) == 0 &&
		    nth-- == 0)
			return &p->ops[i];
	}
	return NULL;
}

static void
test_remove(void)
{
	snapshot *s = forest();
	plan *p = NULL;
	adpki_error err;
	const plan_op *op;
	const char *t[2];
	char lower[65];
	size_t i;

	/* Root: leaves the CA object (root2 stays) and deletes the AIA object. */
	t[0] = root.c->sha1;
	OK(plan_remove(s, t, 1, CONT_MASK_ALL, false, &p, &err) == ADPKI_OK, "remove root");
	IS_INT(p->op_count, 2, "two operations");
	op = op_for(p, CONT_ROOTCA, root.c->ad_name, 0);
	OK(op != NULL && op->kind == PLAN_DELETE_VALUE && value_is(&op->values[0],
	   "cACertificate", root.c), "CA object: delete-value (root2 stays)");
	op = op_for(p, CONT_AIA, root.c->ad_name, 0);
	OK(op != NULL && op->kind == PLAN_DELETE_OBJECT && op->values_known &&
	   op->value_count == 1, "AIA object: last value -> delete-object");
	IS_INT(p->summary.objects_deleted, 1, "1 deleted");
	IS_INT(p->summary.values_removed, 2, "2 values removed");
	check_roundtrip(s, p, "remove root");
	plan_free(p);

	/* keep_empty: placeholder first, then the delete. */
	OK(plan_remove(s, t, 1, CONT_MASK_ALL, true, &p, &err) == ADPKI_OK, "remove --keep-empty");
	op = op_for(p, CONT_AIA, root.c->ad_name, 0);
	OK(op != NULL && op->kind == PLAN_ADD_VALUE && value_is(&op->values[0], "cACertificate",
	   NULL), "keep-empty: add 0x00 first");
	op = op_for(p, CONT_AIA, root.c->ad_name, 1);
	OK(op != NULL && op->kind == PLAN_DELETE_VALUE && value_is(&op->values[0],
	   "cACertificate", root.c), "then delete the real value");
	IS_INT(p->summary.objects_deleted, 0, "nothing deleted");
	check_roundtrip(s, p, "remove --keep-empty");
	plan_free(p);

	/* NTAuth is never deleted; SHA-256 in lower case with colons works. */
	for (i = 0; i < 64; i++)
		lower[i] = (char)tolower((unsigned char)sub.c->sha256[i]);
	lower[64] = '\0';
	t[0] = lower;
	OK(plan_remove(s, t, 1, 1u << CONT_NTAUTH, false, &p, &err) == ADPKI_OK,
	   "remove from ntauth by lower-case SHA-256");
	IS_INT(p->op_count, 2, "two operations, only NTAuth (mask)");
	OK(p->ops[0].kind == PLAN_ADD_VALUE && p->ops[0].container == CONT_NTAUTH &&
	   value_is(&p->ops[0].values[0], "cACertificate", NULL), "NTAuth kept: placeholder");
	OK(p->ops[1].kind == PLAN_DELETE_VALUE && value_is(&p->ops[1].values[0],
	   "cACertificate", sub.c), "NTAuth: value deleted");
	check_roundtrip(s, p, "remove from ntauth");
	plan_free(p);

	/* Mask: AIA only leaves NTAuth alone. */
	t[0] = sub.c->sha1;
	OK(plan_remove(s, t, 1, 1u << CONT_AIA, false, &p, &err) == ADPKI_OK, "remove --from=aia");
	IS_INT(p->op_count, 1, "one operation");
	IS_INT(p->ops[0].container, CONT_AIA, "only in AIA");
	plan_free(p);

	/* Removing a crossCertificatePair value keeps the cACertificate. */
	t[0] = other.c->sha1;
	t[1] = "00112233445566778899aabbccddeeff00112233";
	OK(plan_remove(s, t, 2, CONT_MASK_ALL, false, &p, &err) == ADPKI_OK, "remove cross + unknown");
	IS_INT(p->op_count, 1, "one delete-value");
	OK(value_is(&p->ops[0].values[0], "crossCertificatePair", other.c), "the cross value");
	IS_INT(p->summary.unchanged, 1, "unknown thumbprint: unchanged");
	IS_INT(p->not_found_count, 1, "reported as not found");
	IS_STR(p->not_found[0], "00112233445566778899AABBCCDDEEFF00112233", "normalized");
	check_roundtrip(s, p, "remove cross");
	plan_free(p);

	t[0] = "xyz";
	OK(plan_remove(s, t, 1, CONT_MASK_ALL, false, &p, &err) == ADPKI_ERR_USAGE && p == NULL,
	   "bad thumbprint refused");
	snapshot_free(s);
}

static void
test_prune(void)
{
	snapshot *s = forest();
	plan_prune_criteria c = { true, 0, false };
	plan *p = NULL;
	adpki_error err;
	const plan_op *op;
	size_t o;

	/* An undecodable value is never pruned. */
	o = fx_object(s, CONT_AIA, "Junk", 1);
	s->objects[o].values = calloc(1, sizeof(store_value));
	s->objects[o].values[0].attribute = "cACertificate";
	s->objects[o].values[0].bytes = (unsigned char *)strdup("not a certificate");
	s->objects[o].values[0].len = 17;
	s->objects[o].value_count = 1;

	c.expired_before = now;
	OK(plan_prune(s, &c, CONT_MASK_ALL, false, &p, &err) == ADPKI_OK, "prune --expired");
	IS_INT(p->op_count, 2, "two operations");
	op = op_for(p, CONT_AIA, expired.c->ad_name, 0);
	OK(op != NULL && op->kind == PLAN_ADD_VALUE && value_is(&op->values[0],
	   "cACertificate", NULL), "object kept (cross stays): cACertificate placeholder first");
	op = op_for(p, CONT_AIA, expired.c->ad_name, 1);
	OK(op != NULL && op->kind == PLAN_DELETE_VALUE && value_is(&op->values[0],
	   "cACertificate", expired.c), "then the expired value removed");
	check_roundtrip(s, p, "prune expired");
	plan_free(p);

	c.expired_before = now + 20 * YEAR;   /* --expired-before far ahead */
	OK(plan_prune(s, &c, 1u << CONT_ROOTCA, false, &p, &err) == ADPKI_OK,
	   "prune --expired-before, rootca only");
	OK(p->op_count == 1 && p->ops[0].kind == PLAN_DELETE_OBJECT &&
	   p->ops[0].value_count == 2, "both roots expire before: CA object deleted");
	check_roundtrip(s, p, "prune expired-before");
	plan_free(p);

	c.expired = false;
	c.not_ca = true;
	OK(plan_prune(s, &c, CONT_MASK_ALL, false, &p, &err) == ADPKI_OK, "prune --not-ca");
	IS_INT(p->op_count, 1, "one operation");
	op = op_for(p, CONT_AIA, leaf.c->ad_name, 0);
	OK(op != NULL && op->kind == PLAN_DELETE_OBJECT, "leaf's object deleted");
	check_roundtrip(s, p, "prune not-ca");
	plan_free(p);

	c.not_ca = false;
	OK(plan_prune(s, &c, CONT_MASK_ALL, false, &p, &err) == ADPKI_ERR_USAGE,
	   "prune without criteria refused");
	snapshot_free(s);
}

static void
test_undo_unknown(void)
{
	plan *p = plan_new(), *q = NULL;
	adpki_error err;

	plan_append_op(p, PLAN_DELETE_OBJECT, "CN=x,CN=AIA," FX_PKS, CONT_AIA, "x");
	OK(plan_invert(p, &q, &err) != ADPKI_OK && q == NULL,
	   "undo of a delete with unknown values refused");
	plan_free(p);
}

static void
test_dates(void)
{
	time_t t;
	adpki_error err;

	OK(plan_parse_date("2020-01-01", &t, &err) == ADPKI_OK && t == 1577836800, "date");
	OK(plan_parse_date("2024-02-29T12:30:00Z", &t, &err) == ADPKI_OK && t == 1709209800,
	   "date and time");
	OK(plan_parse_date("2023-02-29", &t, &err) == ADPKI_ERR_USAGE, "not a leap year");
	OK(plan_parse_date("2020-1-01", &t, &err) == ADPKI_ERR_USAGE, "short month refused");
	OK(plan_parse_date("yesterday", &t, &err) == ADPKI_ERR_USAGE, "words refused");
	OK(plan_parse_date("2020-01-01T00:00:00", &t, &err) == ADPKI_ERR_USAGE, "no Z refused");
}

static void
test_render(void)
{
	snapshot *s = forest();
	fx_ca evil = fx_make("Evil\n+ AIA/Forged: cACertificate 00 expires never\x1b[2J\\x41",
	                     true, NULL, now + YEAR);
	plan_item items[2] = { { evil.c, PLAN_ROLE_SUBCA, "Evil" },
	                       { sub.c, PLAN_ROLE_NTAUTH, NULL } };
	plan *p = NULL;
	adpki_error err;
	char *diff, *safe;
	json_t *j, *ops;
	const char *t[1] = { root.c->sha1 };

	OK(plan_publish(s, items, 2, NULL, &p, &err) == ADPKI_OK, "publish hostile subject");
	diff = diff_of(p);
	/* create line + 3 value lines + summary */
	IS_INT(count_lines(diff), 5, "one line per change plus the summary");
	OK(strstr(diff, "\n+ AIA/Forged") == NULL, "a subject cannot forge a line");
	OK(strstr(diff, "CN=Evil\\x0A") != NULL, "newline shown as \\x0A");
	OK(strstr(diff, "\\x1B[2J") != NULL, "escape shown as \\x1B");
	OK(strstr(diff, "\\\\x41") != NULL, "backslash doubled");
	OK(strstr(diff, "+ AIA/Evil: new certificationAuthority object\n") != NULL,
	   "create line");
	OK(strstr(diff, evil.c->sha1) != NULL, "SHA-1 shown");
	OK(strstr(diff, "expires ") != NULL, "expiry shown");
	OK(strstr(diff, "1 objects created, 0 deleted, 1 values added, 0 removed, 1 unchanged\n")
	   != NULL, "summary line");
	free(diff);

	j = plan_to_json(p);
	ops = json_object_get(j, "operations");
	OK(json_array_size(ops) == 1, "json: one operation");
	IS_STR(json_string_value(json_object_get(json_array_get(ops, 0), "op")), "create-object",
	       "json op");
	IS_STR(json_string_value(json_object_get(json_array_get(ops, 0), "container")), "aia",
	       "json container");
	IS_STR(json_string_value(json_object_get(json_array_get(json_object_get(
	       json_array_get(ops, 0), "values"), 0), "sha1")), evil.c->sha1, "json sha1");
	IS_INT(json_integer_value(json_object_get(json_object_get(j, "summary"), "unchanged")), 1,
	       "json summary");
	json_decref(j);
	plan_free(p);

	OK(plan_remove(s, t, 1, CONT_MASK_ALL, false, &p, &err) == ADPKI_OK, "remove for diff");
	diff = diff_of(p);
	OK(strstr(diff, "- Certification Authorities/") != NULL, "container shown");
	OK(strstr(diff, ": object deleted\n") != NULL, "delete-object line");
	IS_INT(count_lines(diff), 4, "delete-value, delete-object + its value, summary");
	free(diff);
	j = plan_to_json(p);
	IS_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "operations"),
	       0), "op")), "delete-value", "json delete-value");
	IS_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "operations"),
	       0), "attribute")), "cACertificate", "json attribute");
	json_decref(j);
	plan_free(p);

	safe = plan_safe_text("a\xe2\x80\xae" "b\xff" "c\xc3\xa9", false);
	IS_STR(safe, "a\\u{202E}b\\xFFc\xc3\xa9", "bidi override and invalid UTF-8 escaped");
	free(safe);
	safe = plan_safe_text("\xc3\xa9", true);
	IS_STR(safe, "\\u{00E9}", "ascii-only escapes non-ASCII");
	free(safe);
	fx_free(&evil);
	snapshot_free(s);
}

int
main(void)
{
	now = time(NULL);
	root = fx_make("adpki Test Root CA", true, NULL, now + 15 * YEAR);
	root2 = fx_make("adpki Test Root CA", true, NULL, now + 18 * YEAR);
	sub = fx_make("adpki Test Issuing CA", true, &root, now + 5 * YEAR);
	expired = fx_make("adpki Test Expired CA", true, &root, now - YEAR);
	leaf = fx_make("www.adpki.test", false, &sub, now + YEAR);
	other = fx_make("adpki Other CA", true, NULL, now + 5 * YEAR);

	test_roles();
	test_publish_new();
	test_publish_rootca();
	test_publish_existing();
	test_publish_ntauth();
	test_publish_crossca();
	test_publish_refusals();
	test_thumbprints();
	test_remove();
	test_prune();
	test_undo_unknown();
	test_dates();
	test_render();

	fx_free(&root);
	fx_free(&root2);
	fx_free(&sub);
	fx_free(&expired);
	fx_free(&leaf);
	fx_free(&other);
	return tap_done();
}
