/* plan-render.c - plans for people and scripts: the one-line diff (one
 * line per change, subjects escaped so none can forge a line), labels, and
 * JSON through jansson. */
#include "config.h"
#include "plan.h"
#include "plan-internal.h"
#include "render.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

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
	return json_object_set_new(obj, key, render_json_text(text != NULL ? text : ""));
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

