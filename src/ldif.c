/* ldif.c - plans as LDIF: writer and strict reader (see ldif.h).
 *
 * Decisions:
 * - No `version: 1` line: ldifde's own exports have none and ldapmodify
 *   does not need it.  The reader accepts `version: 1` as the first line.
 * - New objects are sent with objectClass top and certificationAuthority
 *   and with cn equal to the RDN value: Windows setup omits cn (AD derives
 *   it) but AD accepts an equal cn, and slapd refuses an entry whose naming
 *   attribute is missing, so sending it works with both.
 * - Comments go between records only (some parsers only know comments
 *   there); each value of the record below gets one, in order.  Comment
 *   text is printable ASCII (plan_safe_text), wrapped onto further `#`
 *   lines, so a subject cannot end the comment and forge a record.
 * - The reader does not fetch anything (`:<` is refused), does not resolve
 *   anything, and checks every DN structurally with libldap's RFC 4514
 *   parser against the Public Key Services DN given by the caller.
 * - A delete record carries no values; the reader marks delete-object
 *   operations "values unknown" (plan_resolve_deletes fills them from a
 *   snapshot). */
#include "config.h"
#include "ldif.h"
#include "adname.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldap.h>

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
ldif_base64(const unsigned char *in, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64_alphabet[in[i] >> 2];
		*o++ = b64_alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = b64_alphabet[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*o++ = b64_alphabet[in[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64_alphabet[in[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64_alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*o++ = b64_alphabet[(in[i + 1] & 15) << 2];
		} else {
			*o++ = b64_alphabet[(in[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int
b64_index(char c)
{
	const char *p = c != '\0' ? strchr(b64_alphabet, c) : NULL;

	return p != NULL ? (int)(p - b64_alphabet) : -1;
}

unsigned char *
ldif_unbase64(const char *text, size_t len, size_t *out_len)
{
	unsigned char *out;
	size_t i, n = 0, pad = 0;

	if (len == 0 || len % 4 != 0)
		return NULL;
	if (text[len - 1] == '=')
		pad++;
	if (text[len - 2] == '=')
		pad++;
	out = malloc(len / 4 * 3);
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i += 4) {
		int v[4], k;
		bool last = i + 4 == len;

		for (k = 0; k < 4; k++) {
			v[k] = b64_index(text[i + k]);
			if (v[k] < 0 && !(last && text[i + k] == '=' && k >= 4 - (int)pad))
				goto bad;
			if (v[k] < 0)
				v[k] = 0;
		}
		out[n++] = (unsigned char)((v[0] << 2) | (v[1] >> 4));
		if (!(last && pad == 2))
			out[n++] = (unsigned char)(((v[1] & 15) << 4) | (v[2] >> 2));
		if (!(last && pad >= 1))
			out[n++] = (unsigned char)(((v[2] & 3) << 6) | v[3]);
	}
	*out_len = n;
	return out;
bad:
	free(out);
	return NULL;
}

/* --- writer --------------------------------------------------------------- */

/* Writes one logical line folded at LDIF_WIDTH: continuation lines are one
 * space plus at most LDIF_WIDTH - 1 characters.  Text is ASCII here. */
static void
put_folded(FILE *out, const char *text, size_t len)
{
	size_t chunk = len < LDIF_WIDTH ? len : LDIF_WIDTH;

	fwrite(text, 1, chunk, out);
	fputc('\n', out);
	text += chunk;
	len -= chunk;
	while (len > 0) {
		chunk = len < LDIF_WIDTH - 1 ? len : LDIF_WIDTH - 1;
		fputc(' ', out);
		fwrite(text, 1, chunk, out);
		fputc('\n', out);
		text += chunk;
		len -= chunk;
	}
}

/* RFC 2849 SAFE-STRING, narrowed to printable ASCII: no leading space,
 * colon or '<', no trailing space, nothing outside 0x20-0x7E. */
static bool
safe_string(const unsigned char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == ' ' || s[0] == ':' || s[0] == '<' || s[len - 1] == ' ')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return true;
}

/* "name: value" when safe and allowed, else "name:: base64". */
static adpki_result
put_attr(FILE *out, const char *name, const unsigned char *bytes, size_t len, bool binary,
         adpki_error *err)
{
	char *enc = NULL, *line;
	size_t size;
	bool plain = !binary && safe_string(bytes, len);

	if (!plain && (enc = ldif_base64(bytes, len)) == NULL)
		return adpki_fail_oom(err);
	size = strlen(name) + 3 + (plain ? len : strlen(enc)) + 1;
	line = malloc(size);
	if (line == NULL) {
		free(enc);
		return adpki_fail_oom(err);
	}
	if (plain)
		snprintf(line, size, "%s: %.*s", name, (int)len, (const char *)bytes);
	else
		snprintf(line, size, "%s:: %s", name, enc);
	put_folded(out, line, strlen(line));
	free(line);
	free(enc);
	return ADPKI_OK;
}

/* A comment "# <first><text>" of sanitized text, wrapped onto further
 * "#   " lines so that no line exceeds LDIF_WIDTH. */
static adpki_result
put_comment(FILE *out, const char *first, const char *text, adpki_error *err)
{
	char *safe = plan_safe_text(text, true);
	const char *p;
	size_t room = LDIF_WIDTH - 2 - strlen(first), n, chunk;

	if (safe == NULL)
		return adpki_fail_oom(err);
	p = safe;
	n = strlen(p);
	chunk = n < room ? n : room;
	fprintf(out, "# %s%.*s\n", first, (int)chunk, p);
	p += chunk;
	n -= chunk;
	while (n > 0) {
		chunk = n < LDIF_WIDTH - 4 ? n : LDIF_WIDTH - 4;
		fprintf(out, "#   %.*s\n", (int)chunk, p);
		p += chunk;
		n -= chunk;
	}
	free(safe);
	return ADPKI_OK;
}

static adpki_result
comment_value(FILE *out, char sign, const plan_value *v, adpki_error *err)
{
	char when[32];

	if (v->placeholder) {
		fprintf(out, "# %c %s 0x00 placeholder\n", sign, v->attribute);
		return ADPKI_OK;
	}
	if (v->cert == NULL) {
		fprintf(out, "# %c %s SHA-1 %s\n#   %zu bytes, not a certificate\n", sign,
		        v->attribute, v->sha1, v->len);
		return ADPKI_OK;
	}
	cert_format_time(v->cert->not_after, when, sizeof when);
	fprintf(out, "# %c %s SHA-1 %s\n#   expires %s\n", sign, v->attribute, v->sha1, when);
	return put_comment(out, "  subject: ", v->cert->subject, err);
}

static adpki_result
put_dn(FILE *out, const char *dn, adpki_error *err)
{
	return put_attr(out, "dn", (const unsigned char *)dn, strlen(dn), false, err);
}

static adpki_result
write_create(FILE *out, const plan_op *op, adpki_error *err)
{
	size_t i;

	if (put_dn(out, op->dn, err) != ADPKI_OK)
		return err->code;
	fputs("changetype: add\n", out);
	fputs("objectClass: top\n", out);
	fputs("objectClass: " PLAN_OBJECT_CLASS "\n", out);
	if (put_attr(out, "cn", (const unsigned char *)op->object, strlen(op->object), false,
	             err) != ADPKI_OK)
		return err->code;
	for (i = 0; i < op->value_count; i++) {
		if (put_attr(out, op->values[i].attribute, op->values[i].bytes, op->values[i].len,
		             true, err) != ADPKI_OK)
			return err->code;
	}
	return ADPKI_OK;
}

/* One modify record for ops[start..end): adjacent values of the same kind
 * and attribute share one modification. */
static adpki_result
write_modify(FILE *out, const plan_op *ops, size_t start, size_t end, adpki_error *err)
{
	size_t i;

	if (put_dn(out, ops[start].dn, err) != ADPKI_OK)
		return err->code;
	fputs("changetype: modify\n", out);
	for (i = start; i < end; i++) {
		const plan_value *v = &ops[i].values[0];
		bool same = i > start && ops[i - 1].kind == ops[i].kind &&
		            ops[i - 1].values[0].attribute == v->attribute;

		if (!same)
			fprintf(out, "%s: %s\n", ops[i].kind == PLAN_ADD_VALUE ? "add" : "delete",
			        v->attribute);
		if (put_attr(out, v->attribute, v->bytes, v->len, true, err) != ADPKI_OK)
			return err->code;
		if (i + 1 == end || ops[i + 1].kind != ops[i].kind ||
		    ops[i + 1].values[0].attribute != v->attribute)
			fputs("-\n", out);
	}
	return ADPKI_OK;
}

static bool
is_value_op(const plan_op *op)
{
	return (op->kind == PLAN_ADD_VALUE || op->kind == PLAN_DELETE_VALUE) &&
	       op->value_count == 1;
}

static adpki_result
write_header(FILE *out, const plan *p, adpki_error *err)
{
	char line[256];

	plan_summary_line(&p->summary, line, sizeof line);
	fputs("# adpki plan\n", out);
	if (put_comment(out, "", line, err) != ADPKI_OK)
		return err->code;
	fputs("# apply with: adpki apply FILE, ldapmodify -Y GSSAPI -f FILE,\n"
	      "# or ldifde -i -h -f FILE\n\n", out);
	return ADPKI_OK;
}

adpki_result
ldif_write_plan(const plan *p, FILE *out, adpki_error *err)
{
	size_t i = 0, k;

	if (write_header(out, p, err) != ADPKI_OK)
		return err->code;
	while (i < p->op_count) {
		const plan_op *op = &p->ops[i];
		char *label = plan_op_label(op);
		size_t end = i + 1;
		adpki_result r;

		if (is_value_op(op)) {
			while (end < p->op_count && is_value_op(&p->ops[end]) &&
			       strcmp(p->ops[end].dn, op->dn) == 0)
				end++;
		} else if (op->kind == PLAN_ADD_VALUE || op->kind == PLAN_DELETE_VALUE) {
			free(label);
			return adpki_fail(err, ADPKI_ERR_UNEXPECTED,
			                  "internal: a value operation on %s without exactly one value",
			                  op->dn);
		}
		if (label == NULL)
			return adpki_fail_oom(err);
		r = put_comment(out, op->kind == PLAN_CREATE_OBJECT ? "new object: "
		                   : op->kind == PLAN_DELETE_OBJECT ? "delete object: " : "modify: ",
		                label, err);
		free(label);
		if (r != ADPKI_OK)
			return r;
		for (k = i; k < end; k++) {
			char sign = p->ops[k].kind == PLAN_CREATE_OBJECT ||
			            p->ops[k].kind == PLAN_ADD_VALUE ? '+' : '-';
			size_t v;
			for (v = 0; v < p->ops[k].value_count; v++) {
				if (comment_value(out, sign, &p->ops[k].values[v], err) != ADPKI_OK)
					return err->code;
			}
		}
		if (op->kind == PLAN_CREATE_OBJECT)
			r = write_create(out, op, err);
		else if (op->kind == PLAN_DELETE_OBJECT)
			r = put_dn(out, op->dn, err) == ADPKI_OK
			    ? (fputs("changetype: delete\n", out), ADPKI_OK) : err->code;
		else
			r = write_modify(out, p->ops, i, end, err);
		if (r != ADPKI_OK)
			return r;
		fputc('\n', out);
		i = end;
	}
	if (fflush(out) != 0 || ferror(out))
		return adpki_fail(err, ADPKI_ERR_CONFIG, "cannot write the LDIF plan: %s",
		                  strerror(errno));
	return ADPKI_OK;
}

/* --- reader: lines ---------------------------------------------------------- */

typedef struct {
	char *text;        /* unfolded logical line (NUL-terminated, no NUL inside) */
	size_t len;
	unsigned lineno;   /* physical line it starts on */
	bool blank;        /* a record separator */
} lline;

typedef struct {
	lline *items;
	size_t count, cap;
} lline_list;

typedef struct {
	const char *label;
	const char *pks_dn;
	LDAPDN pks;
	size_t pks_len;
	adpki_error *err;
} reader;

static adpki_result
fail_at(reader *rd, unsigned lineno, const char *what, const char *detail)
{
	return adpki_fail(rd->err, ADPKI_ERR_CONFIG, "%s:%u: %s%s%s; nothing was sent",
	                  rd->label, lineno, what, detail ? ": " : "", detail ? detail : "");
}

static void
llines_clear(lline_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->items[i].text);
	free(l->items);
}

static lline *
lline_new(lline_list *l, unsigned lineno, bool blank)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		lline *grown = realloc(l->items, cap * sizeof *grown);
		if (grown == NULL)
			return NULL;
		l->items = grown;
		l->cap = cap;
	}
	memset(&l->items[l->count], 0, sizeof l->items[0]);
	l->items[l->count].lineno = lineno;
	l->items[l->count].blank = blank;
	return &l->items[l->count++];
}

static adpki_result
lline_append(reader *rd, lline *ll, const char *s, size_t n)
{
	char *grown;

	if (ll->len + n > LDIF_LINE_MAX)
		return fail_at(rd, ll->lineno, "line too long", "more than 64 KiB after unfolding");
	grown = realloc(ll->text, ll->len + n + 1);
	if (grown == NULL)
		return adpki_fail_oom(rd->err);
	ll->text = grown;
	memcpy(ll->text + ll->len, s, n);
	ll->len += n;
	ll->text[ll->len] = '\0';
	return ADPKI_OK;
}

/* Splits data into logical lines: unfolds continuations, drops comments
 * (with their continuations), turns blank lines into separators. */
static adpki_result
split_lines(reader *rd, const char *data, size_t len, lline_list *out)
{
	enum { NONE, DATA, COMMENT } state = NONE;
	size_t pos = 0;
	unsigned lineno = 0;

	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (data + pos)) : len - pos;
		const char *line = data + pos;
		lline *ll;

		pos += n + (nl != NULL);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (memchr(line, '\r', n) != NULL)
			return fail_at(rd, lineno, "carriage return inside a line", NULL);
		if (n == 0) {
			if (state != NONE && lline_new(out, lineno, true) == NULL)
				return adpki_fail_oom(rd->err);
			state = NONE;
			continue;
		}
		if (line[0] == ' ') {
			if (state == NONE)
				return fail_at(rd, lineno, "bad folding",
				               "a continuation line (leading space) with no line to continue");
			if (state == DATA &&
			    lline_append(rd, &out->items[out->count - 1], line + 1, n - 1) != ADPKI_OK)
				return rd->err->code;
			continue;
		}
		if (line[0] == '#') {
			state = COMMENT;
			continue;
		}
		ll = lline_new(out, lineno, false);
		if (ll == NULL)
			return adpki_fail_oom(rd->err);
		state = DATA;
		if (lline_append(rd, ll, line, n) != ADPKI_OK)
			return rd->err->code;
	}
	return ADPKI_OK;
}

/* --- reader: attribute lines ----------------------------------------------- */

typedef struct {
	char name[64];
	unsigned char *value;   /* malloc'd, NUL-terminated for convenience */
	size_t len;
} attrval;

static adpki_result
parse_attrval(reader *rd, const lline *ll, attrval *av)
{
	const char *s = ll->text, *colon = strchr(s, ':'), *v;
	size_t nlen, i, vlen;

	memset(av, 0, sizeof *av);
	if (colon == NULL)
		return fail_at(rd, ll->lineno, "not an LDIF line", "expected 'name: value'");
	nlen = (size_t)(colon - s);
	if (nlen == 0 || nlen >= sizeof av->name)
		return fail_at(rd, ll->lineno, "bad attribute name", NULL);
	for (i = 0; i < nlen; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == ';' || c == '.'))
			return fail_at(rd, ll->lineno, "bad attribute name", NULL);
	}
	memcpy(av->name, s, nlen);
	av->name[nlen] = '\0';
	v = colon + 1;
	if (*v == '<')
		return fail_at(rd, ll->lineno, "':<' URL values are not accepted",
		               "put the value in the file, base64-encoded ('::')");
	if (*v == ':') {
		v++;
		while (*v == ' ')
			v++;
		vlen = strlen(v);
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (vlen > (CERT_AD_VALUE_MAX + 2) / 3 * 4)
			return fail_at(rd, ll->lineno, "value too large",
			               "AD holds at most 32768 bytes per value");
		av->value = ldif_unbase64(v, vlen, &av->len);
		if (av->value == NULL)
			return fail_at(rd, ll->lineno, "broken base64", NULL);
	} else {
		while (*v == ' ')
			v++;
		vlen = strlen(v);
		av->value = malloc(vlen + 1);
		if (av->value == NULL)
			return adpki_fail_oom(rd->err);
		memcpy(av->value, v, vlen);
		av->len = vlen;
	}
	if (av->len > CERT_AD_VALUE_MAX) {
		free(av->value);
		av->value = NULL;
		return fail_at(rd, ll->lineno, "value too large", "AD holds at most 32768 bytes per value");
	}
	/* Keep a terminator for text use; the bytes themselves may hold NULs. */
	{
		unsigned char *t = realloc(av->value, av->len + 1);
		if (t == NULL) {
			free(av->value);
			av->value = NULL;
			return adpki_fail_oom(rd->err);
		}
		av->value = t;
		av->value[av->len] = '\0';
	}
	return ADPKI_OK;
}

/* --- reader: DNs ------------------------------------------------------------ */

static bool
bv_is(const struct berval *bv, const char *s)
{
	return bv->bv_len == strlen(s) && strncasecmp(bv->bv_val, s, bv->bv_len) == 0;
}

static bool
rdn_is_cn(LDAPRDN rdn)
{
	return rdn != NULL && rdn[0] != NULL && rdn[1] == NULL &&
	       (bv_is(&rdn[0]->la_attr, "cn") || bv_is(&rdn[0]->la_attr, "2.5.4.3")) &&
	       !(rdn[0]->la_flags & LDAP_AVA_BINARY);
}

/* Single-valued RDNs with the same type and value (ASCII case-insensitive). */
static bool
rdn_same(LDAPRDN a, LDAPRDN b)
{
	return a != NULL && b != NULL && a[0] != NULL && b[0] != NULL && a[1] == NULL &&
	       b[1] == NULL && !(a[0]->la_flags & LDAP_AVA_BINARY) &&
	       !(b[0]->la_flags & LDAP_AVA_BINARY) && adname_rdn_equal(a, b);
}


/* Classifies dn: the container and the object name (malloc'd).
 * Accepted shapes: CN=<name>,CN=<container>,<pks> for Certification
 * Authorities, AIA and KRA; CN=NTAuthCertificates,<pks>. */
static adpki_result
classify_dn(reader *rd, unsigned lineno, const char *dn, int *container, char **name)
{
	static const int named[] = { CONT_ROOTCA, CONT_AIA, CONT_KRA };
	LDAPDN ldn = NULL;
	size_t n, k, i;
	adpki_result r;

	*name = NULL;
	if (ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || ldn == NULL) {
		ldap_dnfree(ldn);
		return fail_at(rd, lineno, "not a valid DN (RFC 4514)", NULL);
	}
	n = adname_dn_length(ldn);
	r = fail_at(rd, lineno, "DN outside the objects adpki applies",
	            "only CN=<name>,CN=<Certification Authorities|AIA|KRA>,<Public Key Services> "
	            "and CN=NTAuthCertificates,<Public Key Services> are accepted");
	if (n < rd->pks_len + 1 || n > rd->pks_len + 2)
		goto done;
	for (k = 0; k < rd->pks_len; k++) {
		if (!rdn_same(ldn[n - rd->pks_len + k], rd->pks[k]))
			goto done;
	}
	for (k = 0; k < n - rd->pks_len; k++) {
		if (!rdn_is_cn(ldn[k]))
			goto done;
	}
	if (n == rd->pks_len + 1) {
		if (!bv_is(&ldn[0][0]->la_value, "NTAuthCertificates"))
			goto done;
		*container = CONT_NTAUTH;
		*name = strdup("NTAuthCertificates");
	} else {
		*container = -1;
		for (i = 0; i < sizeof named / sizeof named[0]; i++) {
			if (bv_is(&ldn[1][0]->la_value, container_title((container_id)named[i])))
				*container = named[i];
		}
		if (*container < 0)
			goto done;
		if (ldn[0][0]->la_value.bv_len == 0 ||
		    memchr(ldn[0][0]->la_value.bv_val, '\0', ldn[0][0]->la_value.bv_len) != NULL) {
			r = fail_at(rd, lineno, "object name empty or with a NUL character", NULL);
			goto done;
		}
		*name = strndup(ldn[0][0]->la_value.bv_val, ldn[0][0]->la_value.bv_len);
	}
	r = *name != NULL ? ADPKI_OK : adpki_fail_oom(rd->err);
done:
	ldap_dnfree(ldn);
	return r;
}

/* --- reader: records ------------------------------------------------------ */

typedef struct {
	const lline *lines;
	size_t count;        /* lines of this record */
	char *dn;
	int container;
	char *name;
} record;

static adpki_result
read_add(reader *rd, plan *p, record *rc)
{
	bool has_class = false, has[3] = { false, false, false };
	plan_op *op;
	size_t i;

	if (rc->container != CONT_ROOTCA && rc->container != CONT_AIA &&
	    rc->container != CONT_NTAUTH)
		return fail_at(rd, rc->lines[0].lineno, "new objects are only accepted in "
		               "Certification Authorities, AIA and NTAuthCertificates", NULL);
	op = plan_append_op(p, PLAN_CREATE_OBJECT, rc->dn, rc->container, rc->name);
	if (op == NULL)
		return adpki_fail_oom(rd->err);
	for (i = 2; i < rc->count; i++) {
		const lline *ll = &rc->lines[i];
		attrval av;
		const char *canon;
		adpki_result r = ADPKI_OK;

		if (parse_attrval(rd, ll, &av) != ADPKI_OK)
			return rd->err->code;
		canon = plan_attr_canonical(av.name);
		if (strcasecmp(av.name, "objectClass") == 0) {
			if (strcasecmp((char *)av.value, PLAN_OBJECT_CLASS) == 0)
				has_class = true;
			else if (strcasecmp((char *)av.value, "top") != 0)
				r = fail_at(rd, ll->lineno, "only objectClass top and "
				            "certificationAuthority are accepted", NULL);
		} else if (strcasecmp(av.name, "cn") == 0) {
			if (av.len != strlen(rc->name) || strcasecmp((char *)av.value, rc->name) != 0)
				r = fail_at(rd, ll->lineno, "cn differs from the name in the DN", NULL);
		} else if (canon == NULL || strcmp(canon, PLAN_ATTR_USER) == 0) {
			r = fail_at(rd, ll->lineno, "attribute not accepted in a new object", av.name);
		} else {
			has[0] |= strcmp(canon, PLAN_ATTR_CA) == 0;
			has[1] |= strcmp(canon, PLAN_ATTR_ARL) == 0;
			has[2] |= strcmp(canon, PLAN_ATTR_CRL) == 0;
			r = plan_op_add_value(op, canon, av.value, av.len, rd->err);
			if (r != ADPKI_OK)
				adpki_fail_context(rd->err, "%s:%u", rd->label, ll->lineno);
		}
		free(av.value);
		if (r != ADPKI_OK)
			return r;
	}
	if (!has_class || !has[0] || !has[1] || !has[2])
		return fail_at(rd, rc->lines[0].lineno, "a new object needs objectClass "
		               "certificationAuthority and values for cACertificate, "
		               "authorityRevocationList and certificateRevocationList "
		               "(0x00 placeholders when empty)", NULL);
	return ADPKI_OK;
}

static adpki_result
read_modify(reader *rd, plan *p, record *rc)
{
	size_t i = 2;

	if (rc->count <= 2)
		return fail_at(rd, rc->lines[0].lineno, "modify record without modifications", NULL);
	while (i < rc->count) {
		const lline *head = &rc->lines[i];
		attrval spec;
		const char *canon;
		plan_op_kind kind;
		size_t values = 0;

		if (parse_attrval(rd, head, &spec) != ADPKI_OK)
			return rd->err->code;
		if (strcasecmp(spec.name, "add") == 0)
			kind = PLAN_ADD_VALUE;
		else if (strcasecmp(spec.name, "delete") == 0)
			kind = PLAN_DELETE_VALUE;
		else {
			adpki_result r = fail_at(rd, head->lineno,
			                         strcasecmp(spec.name, "replace") == 0
			                         ? "replace: is refused (it rewrites every value); use "
			                           "add: and delete: of single values"
			                         : "expected add: or delete:", NULL);
			free(spec.value);
			return r;
		}
		canon = plan_attr_canonical((char *)spec.value);
		free(spec.value);
		if (canon == NULL)
			return fail_at(rd, head->lineno, "attribute not accepted",
			               "only cACertificate, crossCertificatePair, userCertificate, "
			               "authorityRevocationList and certificateRevocationList");
		for (i++; i < rc->count && strcmp(rc->lines[i].text, "-") != 0; i++) {
			const lline *ll = &rc->lines[i];
			attrval av;
			plan_op *op;

			if (parse_attrval(rd, ll, &av) != ADPKI_OK)
				return rd->err->code;
			if (plan_attr_canonical(av.name) != canon) {
				free(av.value);
				return fail_at(rd, ll->lineno, "value of another attribute inside this "
				               "modification (missing '-' line?)", NULL);
			}
			op = plan_append_op(p, kind, rc->dn, rc->container, rc->name);
			if (op == NULL) {
				free(av.value);
				return fail_at(rd, ll->lineno, "too many operations", NULL);
			}
			if (plan_op_add_value(op, canon, av.value, av.len, rd->err) != ADPKI_OK) {
				free(av.value);
				return adpki_fail_context(rd->err, "%s:%u", rd->label, ll->lineno);
			}
			free(av.value);
			values++;
		}
		if (values == 0)
			return fail_at(rd, head->lineno, "a modification without values",
			               "adpki only adds and deletes single values");
		i++;   /* the '-' line (or the end of the record) */
	}
	return ADPKI_OK;
}

static adpki_result
read_record(reader *rd, plan *p, record *rc)
{
	attrval dn, ct;
	adpki_result r;

	if (parse_attrval(rd, &rc->lines[0], &dn) != ADPKI_OK)
		return rd->err->code;
	if (strcasecmp(dn.name, "dn") != 0) {
		free(dn.value);
		return fail_at(rd, rc->lines[0].lineno, "a record must start with dn:", NULL);
	}
	rc->dn = (char *)dn.value;
	if (strlen(rc->dn) != dn.len)
		return fail_at(rd, rc->lines[0].lineno, "DN with a NUL byte", NULL);
	if (classify_dn(rd, rc->lines[0].lineno, rc->dn, &rc->container, &rc->name) != ADPKI_OK)
		return rd->err->code;
	if (rc->count < 2)
		return fail_at(rd, rc->lines[0].lineno, "record without changetype", NULL);
	if (parse_attrval(rd, &rc->lines[1], &ct) != ADPKI_OK)
		return rd->err->code;
	if (strcasecmp(ct.name, "control") == 0)
		r = fail_at(rd, rc->lines[1].lineno, "LDAP controls are not accepted", NULL);
	else if (strcasecmp(ct.name, "changetype") != 0)
		r = fail_at(rd, rc->lines[1].lineno, "record without changetype",
		            "content records are not plan records");
	else if (strcasecmp((char *)ct.value, "add") == 0)
		r = read_add(rd, p, rc);
	else if (strcasecmp((char *)ct.value, "modify") == 0)
		r = read_modify(rd, p, rc);
	else if (strcasecmp((char *)ct.value, "delete") == 0) {
		if (rc->count != 2)
			r = fail_at(rd, rc->lines[2].lineno, "a delete record has nothing after "
			            "changetype", NULL);
		else if (rc->container != CONT_ROOTCA && rc->container != CONT_AIA)
			r = fail_at(rd, rc->lines[0].lineno, "only objects in Certification "
			            "Authorities and AIA are deleted (NTAuthCertificates never)", NULL);
		else
			r = plan_append_op(p, PLAN_DELETE_OBJECT, rc->dn, rc->container, rc->name)
			    ? ADPKI_OK : adpki_fail_oom(rd->err);
	} else
		r = fail_at(rd, rc->lines[1].lineno, "changetype not accepted",
		            "only add, modify and delete (no modrdn/moddn)");
	free(ct.value);
	return r;
}

adpki_result
ldif_parse(const char *data, size_t len, const char *label, const char *pks_dn, plan **out,
           adpki_error *err)
{
	reader rd = { label, pks_dn, NULL, 0, err };
	lline_list lines = { NULL, 0, 0 };
	plan *p = NULL;
	size_t i = 0, records = 0;
	adpki_result r;

	*out = NULL;
	if (len > LDIF_FILE_MAX)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: larger than %u MiB; nothing was sent",
		                  label, LDIF_FILE_MAX >> 20);
	if (memchr(data, '\0', len) != NULL)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: contains a NUL byte (not LDIF text); "
		                  "nothing was sent", label);
	if (ldap_str2dn(pks_dn, &rd.pks, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return adpki_fail(err, ADPKI_ERR_UNEXPECTED, "internal: bad Public Key Services DN %s",
		                  pks_dn);
	rd.pks_len = adname_dn_length(rd.pks);
	r = split_lines(&rd, data, len, &lines);
	if (r == ADPKI_OK && (p = plan_new()) == NULL)
		r = adpki_fail_oom(err);
	/* "version: 1" may open the file. */
	if (r == ADPKI_OK && lines.count > 0 && !lines.items[0].blank &&
	    strncasecmp(lines.items[0].text, "version:", 8) == 0) {
		const char *v = lines.items[0].text + 8;
		while (*v == ' ')
			v++;
		if (strcmp(v, "1") != 0)
			r = fail_at(&rd, lines.items[0].lineno, "unsupported LDIF version", NULL);
		i = 1;
	}
	while (r == ADPKI_OK && i < lines.count) {
		record rc;
		size_t end = i;

		if (lines.items[i].blank) {
			i++;
			continue;
		}
		while (end < lines.count && !lines.items[end].blank)
			end++;
		if (++records > LDIF_RECORDS_MAX) {
			r = fail_at(&rd, lines.items[i].lineno, "too many records", NULL);
			break;
		}
		memset(&rc, 0, sizeof rc);
		rc.lines = &lines.items[i];
		rc.count = end - i;
		r = read_record(&rd, p, &rc);
		free(rc.dn);
		free(rc.name);
		i = end;
	}
	llines_clear(&lines);
	ldap_dnfree(rd.pks);
	if (r != ADPKI_OK) {
		plan_free(p);
		return r;
	}
	plan_recount(p);
	*out = p;
	return ADPKI_OK;
}

adpki_result
ldif_read_file(const char *path, const char *pks_dn, plan **out, adpki_error *err)
{
	struct stat st;
	char *data;
	size_t got = 0;
	int fd;
	adpki_result r;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: not a regular file", path);
	}
	if ((unsigned long long)st.st_size > LDIF_FILE_MAX) {
		close(fd);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: larger than %u MiB; nothing was sent",
		                  path, LDIF_FILE_MAX >> 20);
	}
	data = malloc((size_t)st.st_size + 1);
	if (data == NULL) {
		close(fd);
		return adpki_fail_oom(err);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(data);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "cannot read %s", path);
	}
	r = ldif_parse(data, got, path, pks_dn, out, err);
	free(data);
	return r;
}
