/* render.c - tables, JSON and PEM for `show` and `list` (see render.h). */
#include "config.h"
#include "render.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "adname.h"
#include "text.h"
#include "lint.h"

json_t *
render_json_text(const char *s)
{
	char *clean;
	json_t *j;

	if (s == NULL)
		return json_null();
	clean = text_utf8_clean(s);
	if (clean == NULL)
		return NULL;
	j = json_string(clean);
	free(clean);
	return j;
}

static json_t *
json_time(time_t t)
{
	char buf[32];

	if (t == (time_t)-1)
		return json_null();
	cert_format_time(t, buf, sizeof buf);
	return json_string(buf);
}

json_t *
render_cert_json(const cert *c, time_t now)
{
	lint_warning w[LINT_MAX_WARNINGS];
	size_t nw = lint_cert(c, now, w), i;
	json_t *o = json_object(), *warnings = json_array();

	if (o == NULL || warnings == NULL) {
		json_decref(o);
		json_decref(warnings);
		return NULL;
	}
	json_object_set_new(o, "subject", render_json_text(c->subject));
	json_object_set_new(o, "issuer", render_json_text(c->issuer));
	json_object_set_new(o, "common_name", render_json_text(c->common_name));
	json_object_set_new(o, "serial", json_string(c->serial));
	json_object_set_new(o, "sha1", json_string(c->sha1));
	json_object_set_new(o, "sha256", json_string(c->sha256));
	json_object_set_new(o, "not_before", json_time(c->not_before));
	json_object_set_new(o, "not_after", json_time(c->not_after));
	json_object_set_new(o, "key_type", render_json_text(c->key_type));
	json_object_set_new(o, "key_bits", json_integer(c->key_bits));
	json_object_set_new(o, "signature_algorithm", render_json_text(c->sig_alg));
	json_object_set_new(o, "is_ca", json_boolean(c->is_ca));
	json_object_set_new(o, "self_signed", json_boolean(c->self_signed));
	json_object_set_new(o, "ad_name", render_json_text(c->ad_name));
	json_object_set_new(o, "der_length", json_integer((json_int_t)c->der_len));
	for (i = 0; i < nw; i++) {
		json_t *wo = json_object();
		json_object_set_new(wo, "code", json_string(w[i].code));
		json_object_set_new(wo, "message", json_string(w[i].text));
		json_array_append_new(warnings, wo);
	}
	json_object_set_new(o, "warnings", warnings);
	return o;
}

#define TABLE_WIDTH 80

/* Prints text (already safe) after prefix, wrapping at spaces or commas so
 * no line exceeds TABLE_WIDTH columns; continuation lines are indented
 * like the first.  Long unbroken text is cut hard. */
static void
print_wrapped(FILE *out, const char *prefix, const char *text)
{
	size_t indent = strlen(prefix), room = TABLE_WIDTH > indent + 20 ? TABLE_WIDTH - indent : 20;
	const char *p = text;
	bool first = true;

	do {
		size_t len = strlen(p), cut = len;
		if (len > room) {
			cut = room;
			while (cut > room / 2 && p[cut - 1] != ' ' && p[cut - 1] != ',')
				cut--;
			if (cut <= room / 2)
				cut = room;
		}
		/* Never split a UTF-8 sequence. */
		while (cut < len && cut > 0 && ((unsigned char)p[cut] & 0xc0) == 0x80)
			cut--;
		{
			size_t shown = cut;
			while (shown > 0 && p[shown - 1] == ' ')
				shown--;
			fprintf(out, "%s%.*s\n", first ? prefix : "", (int)shown, p);
		}
		p += cut;
		while (*p == ' ')
			p++;
		if (*p != '\0')
			fprintf(out, "%*s", (int)indent, "");
		first = false;
	} while (*p != '\0');
}

/* One "  Label:  value" line with the value made safe. */
static void
table_line(FILE *out, const char *label, const char *value)
{
	char prefix[40], *safe = text_safe_line(value, 0);

	snprintf(prefix, sizeof prefix, "  %-11s ", label);
	print_wrapped(out, prefix, safe ? safe : "(out of memory)");
	free(safe);
}

void
render_cert_table(FILE *out, const cert *c, time_t now)
{
	lint_warning w[LINT_MAX_WARNINGS];
	size_t nw = lint_cert(c, now, w), i;
	char buf[96];

	table_line(out, "Source:", c->source);
	table_line(out, "Subject:", c->subject);
	table_line(out, "Issuer:", c->issuer);
	table_line(out, "Serial:", c->serial);
	table_line(out, "SHA-1:", c->sha1);
	table_line(out, "SHA-256:", c->sha256);
	cert_format_time(c->not_before, buf, sizeof buf);
	table_line(out, "Not before:", buf);
	cert_format_time(c->not_after, buf, sizeof buf);
	table_line(out, "Not after:", buf);
	snprintf(buf, sizeof buf, "%s, %u bits", c->key_type ? c->key_type : "unknown", c->key_bits);
	table_line(out, "Key:", buf);
	table_line(out, "Signature:", c->sig_alg);
	table_line(out, "CA:", c->is_ca ? (c->self_signed ? "yes, self-signed (root)" : "yes")
	                               : (c->self_signed ? "no (self-signed)" : "no"));
	table_line(out, "AD name:", c->ad_name);
	for (i = 0; i < nw; i++) {
		char text[160];
		snprintf(text, sizeof text, "%s: %s", w[i].code, w[i].text);
		table_line(out, "Warning:", text);
	}
}

/* --- list ------------------------------------------------------------- */

/* Warnings for a certificate as published: a KRA's userCertificate is an
 * end-entity certificate by design, so "not a CA" would only be noise. */
static size_t
lint_published(const store_value *v, const cert *c, time_t now, lint_warning *w)
{
	size_t n = lint_cert(c, now, w), i, k = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(v->attribute, "userCertificate") == 0 && strcmp(w[i].code, "not-ca") == 0)
			continue;
		w[k++] = w[i];
	}
	return k;
}

static size_t
count_in(const snapshot *s, container_id id, size_t *values)
{
	size_t i, n = 0;

	*values = 0;
	for (i = 0; i < s->object_count; i++) {
		if (s->objects[i].container == id) {
			n++;
			*values += s->objects[i].value_count;
		}
	}
	return n;
}

/* The lines of one value; its decoded form is dropped once shown, so a
 * large listing never holds more than one decoded certificate. */
static void
list_value_lines(FILE *out, const store_object *o, const store_value *v, time_t now)
{
	const cert *c = store_value_cert_brief(o, v);   /* the table does not show self_signed */
	const crl_info *crl = c == NULL ? store_value_crl(o, v) : NULL;
	char date[32], line[256], *safe;

	if (c != NULL) {
		lint_warning w[LINT_MAX_WARNINGS];
		size_t nw = lint_published(v, c, now, w), i;
		bool plain = strcmp(v->attribute, "cACertificate") == 0;

		cert_format_time(c->not_after, date, sizeof date);
		date[10] = '\0';
		fprintf(out, "    %s  until %s\n", c->sha1, date);
		if (!plain)
			fprintf(out, "      (%s)\n", v->attribute);
		safe = text_safe_line(c->subject, 0);
		print_wrapped(out, "      ", safe ? safe : "");
		free(safe);
		for (i = 0; i < nw; i++) {
			snprintf(line, sizeof line, "%s: %s", w[i].code, w[i].text);
			print_wrapped(out, "      ! ", line);
		}
	} else if (crl != NULL) {
		char next[32] = "none";
		cert_format_time(crl->this_update, date, sizeof date);
		if (crl->next_update != (time_t)-1)
			cert_format_time(crl->next_update, next, sizeof next);
		fprintf(out, "    %s  %s\n", crl->sha1,
		        strcmp(v->attribute, "deltaRevocationList") == 0 ? "delta CRL" : "CRL");
		safe = text_safe_line(crl->issuer, 0);
		print_wrapped(out, "      issuer ", safe ? safe : "");
		free(safe);
		fprintf(out, "      this update %s\n      next update %s\n", date, next);
	} else {
		safe = text_safe_line(store_value_error(o, v), 0);
		snprintf(line, sizeof line, "%s: %zu bytes that do not decode", v->attribute, v->len);
		print_wrapped(out, "    ", line);
		print_wrapped(out, "      ", safe ? safe : "");
		free(safe);
	}
	store_value_forget(v);
}

static void
list_object(FILE *out, const store_object *o, time_t now)
{
	/* Names are shown RFC 4514-escaped, so "Evil\,CN\=X" reads as the one
	 * RDN it is. */
	char *escaped = adname_dn_escape(o->is_container_root ? container_title(o->container)
	                                                       : o->name ? o->name : "");
	char *name = text_safe_line(escaped, 0);
	size_t i;

	free(escaped);

	if (o->parent_name != NULL) {
		char *parent = text_safe_line(o->parent_name, 0);
		fprintf(out, "  %s/%s\n", parent ? parent : "", name ? name : "");
		free(parent);
	} else {
		fprintf(out, "  %s\n", name ? name : "");
	}
	free(name);
	if (o->dns_host_name != NULL) {
		char *host = text_safe_line(o->dns_host_name, 0);
		fprintf(out, "    host %s\n", host ? host : "");
		free(host);
	}
	for (i = 0; i < o->value_count; i++)
		list_value_lines(out, o, &o->values[i], now);
	if (o->value_count == 0)
		fprintf(out, "    (no certificate: %zu placeholder value%s)\n", o->placeholder_count,
		        o->placeholder_count == 1 ? "" : "s");
}

void
render_list_table(FILE *out, const snapshot *s, time_t now)
{
	int id;
	size_t i, values, total = 0;

	for (id = 0; id < CONT_COUNT; id++) {
		size_t n;
		if (!(s->mask & (1u << id)))
			continue;
		n = count_in(s, (container_id)id, &values);
		total += values;
		if (!s->present[id]) {
			fprintf(out, "%s (%s): absent, no %s object\n\n", container_title((container_id)id),
			        container_name((container_id)id), container_rdn((container_id)id));
			continue;
		}
		if (id == CONT_NTAUTH)
			fprintf(out, "%s (%s): %zu certificate%s\n", container_title((container_id)id),
			        container_name((container_id)id), values, values == 1 ? "" : "s");
		else
			fprintf(out, "%s (%s): %zu object%s, %zu value%s\n",
			        container_title((container_id)id), container_name((container_id)id), n,
			        n == 1 ? "" : "s", values, values == 1 ? "" : "s");
		for (i = 0; i < s->object_count; i++) {
			if (s->objects[i].container == (container_id)id)
				list_object(out, &s->objects[i], now);
		}
		fputc('\n', out);
	}
	fprintf(out, "%zu value%s in %zu object%s\n", total, total == 1 ? "" : "s", s->object_count,
	        s->object_count == 1 ? "" : "s");
}

static void
drop_warning(json_t *warnings, const char *code)
{
	size_t i = 0;

	while (i < json_array_size(warnings)) {
		const char *c = json_string_value(json_object_get(json_array_get(warnings, i), "code"));
		if (c != NULL && strcmp(c, code) == 0)
			json_array_remove(warnings, i);
		else
			i++;
	}
}

/* The JSON of one value (certificate, CRL or undecodable bytes) with its
 * directory fields. */
static json_t *
value_json(const store_object *o, const store_value *v, const cert *c, const crl_info *crl,
           time_t now)
{
	json_t *j;

	if (c != NULL) {
		j = render_cert_json(c, now);
		if (j != NULL && strcmp(v->attribute, "userCertificate") == 0)
			drop_warning(json_object_get(j, "warnings"), "not-ca");
	} else if (crl != NULL) {
		j = json_object();
		json_object_set_new(j, "issuer", render_json_text(crl->issuer));
		json_object_set_new(j, "this_update", json_time(crl->this_update));
		json_object_set_new(j, "next_update", json_time(crl->next_update));
		json_object_set_new(j, "sha1", json_string(crl->sha1));
	} else {
		j = json_object();
		json_object_set_new(j, "error", render_json_text(v->decode_error));
		json_object_set_new(j, "length", json_integer((json_int_t)v->len));
	}
	if (j == NULL)
		return NULL;
	json_object_set_new(j, "container", json_string(container_name(o->container)));
	json_object_set_new(j, "dn", render_json_text(o->dn));
	json_object_set_new(j, "object", render_json_text(o->name));
	json_object_set_new(j, "attribute", json_string(v->attribute));
	if (o->parent_name != NULL)
		json_object_set_new(j, "ca_host", render_json_text(o->parent_name));
	return j;
}

static json_t *
containers_json(const snapshot *s)
{
	json_t *arr = json_array();
	int id;

	for (id = 0; id < CONT_COUNT; id++) {
		json_t *c;
		char *dn;
		size_t values, n;
		if (!(s->mask & (1u << id)))
			continue;
		n = count_in(s, (container_id)id, &values);
		dn = store_container_dn(s->pks_dn, (container_id)id);
		c = json_object();
		json_object_set_new(c, "name", json_string(container_name((container_id)id)));
		json_object_set_new(c, "dn", render_json_text(dn));
		json_object_set_new(c, "present", json_boolean(s->present[id]));
		json_object_set_new(c, "objects", json_integer((json_int_t)n));
		json_object_set_new(c, "values", json_integer((json_int_t)values));
		json_array_append_new(arr, c);
		free(dn);
	}
	return arr;
}

/* --- list as JSON, written element by element ----------------------------
 *
 * The document is the one json_dumpf(JSON_INDENT(2) | JSON_PRESERVE_ORDER)
 * prints for {server, configuration_naming_context, public_key_services,
 * containers, objects, certificates, crls, undecodable}, but each array
 * element is built, printed and freed on its own: 10,000 certificates as
 * one jansson tree took tens of megabytes. */

#define JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)

typedef struct {
	FILE *out;
	bool failed;        /* out of memory or a write error */
	size_t written;     /* elements of the current array */
} json_stream;

/* Prints j (consumed) with every line after the first indented by indent
 * more spaces; JSON text never holds a raw newline inside a string. */
static void
put_json(json_stream *js, json_t *j, int indent)
{
	char *text = j != NULL ? json_dumps(j, JSON_FLAGS) : NULL;
	const char *p;

	json_decref(j);
	if (text == NULL) {
		js->failed = true;
		return;
	}
	for (p = text; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		fwrite(p, 1, n, js->out);
		p += n;
		if (*p == '\n') {
			fprintf(js->out, "\n%*s", indent, "");
			p++;
		}
	}
	free(text);
}

/* "  \"key\": " after the previous member (first: after "{"). */
static void
put_key(json_stream *js, const char *key, bool first)
{
	fprintf(js->out, "%s\n  \"%s\": ", first ? "{" : ",", key);
}

static void
array_begin(json_stream *js, const char *key)
{
	put_key(js, key, false);
	fputc('[', js->out);
	js->written = 0;
}

static void
array_element(json_stream *js, json_t *j)
{
	fputs(js->written++ == 0 ? "\n    " : ",\n    ", js->out);
	put_json(js, j, 4);
}

static void
array_end(json_stream *js)
{
	fputs(js->written > 0 ? "\n  ]" : "]", js->out);
}

static json_t *
object_json(const store_object *o)
{
	json_t *oj = json_object();

	if (oj == NULL)
		return NULL;
	json_object_set_new(oj, "container", json_string(container_name(o->container)));
	json_object_set_new(oj, "dn", render_json_text(o->dn));
	json_object_set_new(oj, "object", render_json_text(o->name));
	json_object_set_new(oj, "values", json_integer((json_int_t)o->value_count));
	json_object_set_new(oj, "placeholders", json_integer((json_int_t)o->placeholder_count));
	if (o->dns_host_name != NULL)
		json_object_set_new(oj, "dns_host_name", render_json_text(o->dns_host_name));
	return oj;
}

typedef enum { PASS_CERTS, PASS_CRLS, PASS_BAD } value_pass;

static bool
is_crl_attribute(const char *attr)
{
	return strcmp(attr, "certificateRevocationList") == 0 ||
	       strcmp(attr, "deltaRevocationList") == 0;
}

/* One of the three value arrays.  Every value lands in exactly one: the
 * certificate pass decodes the certificate attributes, the CRL pass the
 * CRL attributes, and each value shown is forgotten again; what did not
 * decode stays decoded-with-an-error (store.h) for "undecodable". */
static void
value_array(json_stream *js, const snapshot *s, value_pass pass, time_t now)
{
	size_t i, k;

	for (i = 0; i < s->object_count && !js->failed; i++) {
		const store_object *o = &s->objects[i];
		for (k = 0; k < o->value_count && !js->failed; k++) {
			const store_value *v = &o->values[k];
			const cert *c = NULL;
			const crl_info *crl = NULL;

			switch (pass) {
			case PASS_CERTS:
				if (is_crl_attribute(v->attribute) || (c = store_value_cert(o, v)) == NULL)
					continue;
				break;
			case PASS_CRLS:
				if (!is_crl_attribute(v->attribute) || (crl = store_value_crl(o, v)) == NULL)
					continue;
				break;
			case PASS_BAD:
				if (!v->decoded || v->cert != NULL || v->crl != NULL)
					continue;
				break;
			}
			array_element(js, value_json(o, v, c, crl, now));
			store_value_forget(v);
		}
	}
}

adpki_result
render_list_json(FILE *out, const snapshot *s, const char *server, const char *config_nc,
                 time_t now, adpki_error *err)
{
	json_stream js = { out, false, 0 };
	size_t i;

	put_key(&js, "server", true);
	put_json(&js, render_json_text(server), 2);
	put_key(&js, "configuration_naming_context", false);
	put_json(&js, render_json_text(config_nc), 2);
	put_key(&js, "public_key_services", false);
	put_json(&js, render_json_text(s->pks_dn), 2);
	put_key(&js, "containers", false);
	put_json(&js, containers_json(s), 2);
	array_begin(&js, "objects");
	for (i = 0; i < s->object_count && !js.failed; i++)
		array_element(&js, object_json(&s->objects[i]));
	array_end(&js);
	array_begin(&js, "certificates");
	value_array(&js, s, PASS_CERTS, now);
	array_end(&js);
	array_begin(&js, "crls");
	value_array(&js, s, PASS_CRLS, now);
	array_end(&js);
	array_begin(&js, "undecodable");
	value_array(&js, s, PASS_BAD, now);
	array_end(&js);
	fputs("\n}\n", out);
	if (js.failed)
		return adpki_fail_oom(err);
	if (ferror(out))
		return adpki_fail(err, ADPKI_ERR_UNEXPECTED, "writing JSON failed");
	return ADPKI_OK;
}

adpki_result
render_list_pem(FILE *out, const snapshot *s, adpki_error *err)
{
	size_t i, k;

	for (i = 0; i < s->object_count; i++) {
		const store_object *o = &s->objects[i];
		for (k = 0; k < o->value_count; k++) {
			const store_value *v = &o->values[k];
			const cert *c = store_value_cert_brief(o, v);   /* SHA-1 and subject */
			gnutls_datum_t der = { v->bytes, (unsigned)v->len }, pem = { NULL, 0 };
			char *subject;

			if (c == NULL)
				continue;
			if (gnutls_pem_base64_encode2("CERTIFICATE", &der, &pem) < 0)
				return adpki_fail(err, ADPKI_ERR_UNEXPECTED, "PEM encoding of %s failed",
				                  c->sha1);
			subject = text_safe_line(c->subject, 0);
			fprintf(out, "# %s %s %s\n# %s\n", container_name(o->container), v->attribute,
			        c->sha1, subject ? subject : "");
			fwrite(pem.data, 1, pem.size, out);
			free(subject);
			gnutls_free(pem.data);
			store_value_forget(v);
		}
	}
	return ADPKI_OK;
}

adpki_result
render_json(FILE *out, json_t *json, adpki_error *err)
{
	if (json == NULL)
		return adpki_fail_oom(err);
	if (json_dumpf(json, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		return adpki_fail(err, ADPKI_ERR_UNEXPECTED, "writing JSON failed");
	fputc('\n', out);
	return ADPKI_OK;
}
