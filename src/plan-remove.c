/* plan-remove.c - the plans that take certificate values away (remove,
 * prune): exactly the values asked, objects emptied are deleted only in
 * Certification Authorities and AIA, kept ones get a 0x00 placeholder. */
#include "config.h"
#include "plan.h"
#include "plan-internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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
	    plan_emit_value(p, PLAN_ADD_VALUE, o->dn, (int)o->container, name, must,
	               plan_placeholder_byte, 1, err) != ADPKI_OK)
		return err->code;
	for (i = 0; i < o->value_count; i++) {
		if (gone[i] && plan_emit_value(p, PLAN_DELETE_VALUE, o->dn, (int)o->container, name,
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
			gone[k] = plan_is_cert_attr(o->values[k].attribute) && pred(o, &o->values[k], ctx);
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
	const char *const *plan_thumbprints;
	size_t count;
	bool *matched;
	size_t *sorted;     /* indexes into plan_thumbprints, in strcmp order */
} thumb_ctx;

static const char *const *sort_thumbs;   /* qsort has no context argument in C11 */

static int
thumb_index_cmp(const void *a, const void *b)
{
	return strcmp(sort_thumbs[*(const size_t *)a], sort_thumbs[*(const size_t *)b]);
}

/* Marks every thumbprint equal to hex as matched (binary search: a removal
 * of many thumbprints from a large container stays n log m). */
static bool
thumb_mark(thumb_ctx *t, const char *hex)
{
	size_t lo = 0, hi = t->count;
	bool hit = false;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->plan_thumbprints[t->sorted[mid]], hex) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->count && strcmp(t->plan_thumbprints[t->sorted[lo]], hex) == 0; lo++) {
		t->matched[t->sorted[lo]] = true;
		hit = true;
	}
	return hit;
}

static bool
thumb_pred(const store_object *o, const store_value *v, void *ctx)
{
	thumb_ctx *t = ctx;
	char sha1[41], sha256[65];
	bool hit;

	(void)o;
	plan_thumbprints(v->bytes, v->len, sha1, sha256);
	hit = thumb_mark(t, sha1);
	return thumb_mark(t, sha256) || hit;
}

adpki_result
plan_remove(const snapshot *s, const char *const *thumbs, size_t count, unsigned mask,
            bool keep_empty, plan **out, adpki_error *err)
{
	char **norm = calloc(count + 1, sizeof *norm);
	bool *matched = calloc(count + 1, sizeof *matched);
	size_t *sorted = calloc(count + 1, sizeof *sorted);
	thumb_ctx ctx;
	adpki_result r = ADPKI_OK;
	size_t i;

	*out = NULL;
	if (norm == NULL || matched == NULL || sorted == NULL) {
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
	for (i = 0; i < count; i++)
		sorted[i] = i;
	sort_thumbs = (const char *const *)norm;
	qsort(sorted, count, sizeof *sorted, thumb_index_cmp);
	ctx.plan_thumbprints = (const char *const *)norm;
	ctx.count = count;
	ctx.matched = matched;
	ctx.sorted = sorted;
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
	free(sorted);
	return r;
}

typedef struct {
	const plan_prune_criteria *crit;
} prune_ctx;

static bool
prune_pred(const store_object *o, const store_value *v, void *ctx)
{
	const plan_prune_criteria *c = ((prune_ctx *)ctx)->crit;
	const cert *crt;
	bool hit;

	if (strcasecmp(v->attribute, PLAN_ATTR_CA) != 0 &&
	    strcasecmp(v->attribute, PLAN_ATTR_CROSS) != 0)
		return false;
	crt = store_value_cert_brief(o, v);   /* not_after and is_ca only */
	if (crt == NULL)
		return false;
	hit = (c->expired && crt->not_after < c->expired_before) || (c->not_ca && !crt->is_ca);
	/* Only these two facts were needed: the snapshot need not keep the
	 * decoded certificate (10,000 of them are tens of megabytes). */
	store_value_forget(v);
	return hit;
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

