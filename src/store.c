/* store.c - the AD PKI model and snapshots of what the directory holds.
 *
 * One paged subtree search of Public Key Services reads every object of
 * interest; attributes that AD hands out in ranges (more than 1,500 values)
 * are completed with ranged retrieval on the same code path.  One-byte
 * values are the placeholders AD requires for mandatory attributes with
 * nothing to hold; they are counted, never shown as certificates. */
#include "config.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adname.h"

/* Bounds: AD returns at most MaxPageSize (1,000 by default) entries a
 * page; asking for that many makes the fewest pages (each a round trip)
 * on a default DC, and a smaller MaxPageSize simply caps it.  A value count
 * beyond STORE_MAX_VALUES for one attribute means a broken or hostile
 * server, not a forest. */
#define STORE_PAGE_SIZE 1000
#define STORE_MAX_VALUES 1000000
#define STORE_MAX_RANGE_ROUNDS 10000

static const struct {
	const char *name;
	const char *rdn_value;
} containers[CONT_COUNT] = {
	[CONT_ROOTCA] = { "rootca", "Certification Authorities" },
	[CONT_AIA] = { "aia", "AIA" },
	[CONT_NTAUTH] = { "ntauth", "NTAuthCertificates" },
	[CONT_CDP] = { "cdp", "CDP" },
	[CONT_KRA] = { "kra", "KRA" },
	[CONT_ENROLLMENT] = { "enrollment", "Enrollment Services" },
};

/* Attributes that hold certificates or CRLs, with their canonical names. */
static const char *const value_attributes[] = {
	"cACertificate", "crossCertificatePair", "userCertificate",
	"certificateRevocationList", "deltaRevocationList", NULL
};

const char *
container_name(container_id id)
{
	return (unsigned)id < CONT_COUNT ? containers[id].name : "?";
}

const char *
container_title(container_id id)
{
	return (unsigned)id < CONT_COUNT ? containers[id].rdn_value : "?";
}

const char *
container_rdn(container_id id)
{
	static const char *const rdns[CONT_COUNT] = {
		"CN=Certification Authorities", "CN=AIA", "CN=NTAuthCertificates",
		"CN=CDP", "CN=KRA", "CN=Enrollment Services",
	};
	return (unsigned)id < CONT_COUNT ? rdns[id] : "?";
}

adpki_result
container_parse_list(const char *list, unsigned *mask, adpki_error *err)
{
	const char *p = list;

	*mask = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		int id, found = -1;

		for (id = 0; id < CONT_COUNT; id++) {
			if (strlen(containers[id].name) == n &&
			    strncasecmp(p, containers[id].name, n) == 0)
				found = id;
		}
		if (found < 0)
			return adpki_fail(err, ADPKI_ERR_USAGE,
			                  "unknown container '%.*s': use rootca, aia, ntauth, cdp, kra "
			                  "or enrollment (comma separated)", (int)(n > 64 ? 64 : n), p);
		*mask |= 1u << found;
		p += n;
		if (*p == ',')
			p++;
	}
	if (*mask == 0)
		return adpki_fail(err, ADPKI_ERR_USAGE, "empty container list");
	return ADPKI_OK;
}

char *
store_container_dn(const char *pks_dn, container_id id)
{
	size_t size = strlen(pks_dn) + strlen(container_rdn(id)) + 2;
	char *dn = malloc(size);

	if (dn != NULL)
		snprintf(dn, size, "%s,%s", container_rdn(id), pks_dn);
	return dn;
}

char *
store_object_dn(const char *pks_dn, container_id id, const char *name)
{
	char *escaped, *dn;
	size_t size;

	if (id == CONT_NTAUTH)
		return store_container_dn(pks_dn, id);
	escaped = adname_dn_escape(name);
	if (escaped == NULL)
		return NULL;
	size = strlen(escaped) + strlen(container_rdn(id)) + strlen(pks_dn) + 6;
	dn = malloc(size);
	if (dn != NULL)
		snprintf(dn, size, "CN=%s,%s,%s", escaped, container_rdn(id), pks_dn);
	free(escaped);
	return dn;
}

/* --- DN comparison: structural (RFC 4514 parsed), case-insensitive ---- */

/* Depth of dn below pks (number of extra RDNs), or -1 when dn is not
 * pks itself or below it.  On success *top receives the RDN directly
 * below pks (NULL for pks itself) and *first the leaf RDN. */
static int
dn_depth_below(LDAPDN pks, LDAPDN dn, LDAPRDN *top, LDAPRDN *first)
{
	size_t np = adname_dn_length(pks), nd = adname_dn_length(dn), i;

	if (nd < np)
		return -1;
	for (i = 0; i < np; i++) {
		if (!adname_rdn_equal(pks[np - 1 - i], dn[nd - 1 - i]))
			return -1;
	}
	*top = nd > np ? dn[nd - np - 1] : NULL;
	*first = nd > 0 ? dn[0] : NULL;
	return (int)(nd - np);
}

static int
container_of_rdn(LDAPRDN rdn)
{
	int id;

	if (rdn == NULL || rdn[0] == NULL || rdn[1] != NULL ||
	    rdn[0]->la_attr.bv_len != 2 || strncasecmp(rdn[0]->la_attr.bv_val, "CN", 2) != 0)
		return -1;
	for (id = 0; id < CONT_COUNT; id++) {
		struct berval want;
		want.bv_val = (char *)containers[id].rdn_value;
		want.bv_len = strlen(want.bv_val);
		if (adname_bv_equal(&rdn[0]->la_value, &want))
			return id;
	}
	return -1;
}

/* Classifies dn: container id (or -1) and depth below pks. */
static int
classify(const char *pks_dn, const char *dn, int *depth, char **leaf_name)
{
	LDAPDN pks = NULL, parsed = NULL;
	LDAPRDN top = NULL, first = NULL;
	int id = -1, d;

	if (ldap_str2dn(pks_dn, &pks, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return -1;
	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
		ldap_dnfree(pks);
		return -1;
	}
	d = dn_depth_below(pks, parsed, &top, &first);
	if (d >= 1)
		id = container_of_rdn(top);
	if (depth != NULL)
		*depth = d;
	if (leaf_name != NULL && id >= 0 && first != NULL && first[0] != NULL)
		*leaf_name = strndup(first[0]->la_value.bv_val, first[0]->la_value.bv_len);
	ldap_dnfree(parsed);
	ldap_dnfree(pks);
	return id;
}

int
store_classify_dn(const char *pks_dn, const char *dn)
{
	return classify(pks_dn, dn, NULL, NULL);
}

/* --- ranged retrieval ------------------------------------------------- */

bool
store_parse_range(const char *desc, char *base_out, size_t base_size, long *low, long *high)
{
	const char *opt = strcasestr(desc, ";range=");
	char *end;
	size_t base_len;

	if (opt == NULL)
		return false;
	base_len = (size_t)(opt - desc);
	opt += strlen(";range=");
	*low = strtol(opt, &end, 10);
	if (end == opt || *end != '-' || *low < 0)
		return false;
	opt = end + 1;
	if (*opt == '*') {
		*high = -1;
		end = (char *)opt + 1;
	} else {
		*high = strtol(opt, &end, 10);
		if (end == opt || *high < *low)
			return false;
	}
	/* Nothing but further options may follow (";binary" is not used by AD). */
	if (*end != '\0' && *end != ';')
		return false;
	if (base_len + 1 > base_size)
		return false;
	memcpy(base_out, desc, base_len);
	base_out[base_len] = '\0';
	return true;
}

bool
store_next_range(const char *base, long high, size_t received, char *buf, size_t size)
{
	int n;

	/* high == -1: the server marked this chunk as the last one.  A chunk
	 * with no values cannot advance: stop rather than loop forever. */
	if (high < 0 || received == 0)
		return false;
	n = snprintf(buf, size, "%s;range=%ld-*", base, high + 1);
	return n > 0 && (size_t)n < size;
}

/* --- snapshot building ------------------------------------------------ */

static const char *
canonical_attribute(const char *name)
{
	size_t i;

	for (i = 0; value_attributes[i] != NULL; i++) {
		if (strcasecmp(name, value_attributes[i]) == 0)
			return value_attributes[i];
	}
	return NULL;
}

static bool
is_crl_attribute(const char *canonical)
{
	return strcmp(canonical, "certificateRevocationList") == 0 ||
	       strcmp(canonical, "deltaRevocationList") == 0;
}

static void
value_clear(store_value *v)
{
	free(v->bytes);
	cert_free(v->cert);
	if (v->crl != NULL) {
		crl_info_clear(v->crl);
		free(v->crl);
	}
	free(v->decode_error);
}

static void index_free(store_index *ix);

static void
object_clear(store_object *o)
{
	size_t i;

	for (i = 0; i < o->value_count; i++)
		value_clear(&o->values[i]);
	free(o->values);
	free(o->dn);
	free(o->name);
	free(o->dns_host_name);
	free(o->parent_name);
}

void
snapshot_free(snapshot *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->object_count; i++)
		object_clear(&s->objects[i]);
	free(s->objects);
	free(s->pks_dn);
	index_free(s->index);
	free(s);
}

/* --- lookup tables ------------------------------------------------------ *
 *
 * Open addressing over object indexes, keyed by a hash that equal DNs (or
 * names) share: ASCII case folded, and the DN hashed RDN by RDN after
 * parsing, so "cn=x,cn=aia" and "CN=x,CN=AIA" land together.  Bytes above
 * 0x7f hash alike, so no locale's case folding can separate equal names.
 * Every candidate is then compared exactly as a linear search would. */

struct store_index {
	size_t count;       /* object_count when built */
	size_t mask;        /* table size - 1 (a power of two) */
	size_t *by_dn;      /* object index + 1, or 0 for an empty slot */
	size_t *by_name;
	uint64_t *dn_hash;  /* per object */
};

#define FNV_OFFSET 14695981039346656037ull
#define FNV_PRIME 1099511628211ull

static uint64_t
hash_bytes(uint64_t h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		else if (ch >= 0x80)
			ch = 0x80;
		h = (h ^ ch) * FNV_PRIME;
	}
	return h;
}

static uint64_t
hash_sep(uint64_t h, unsigned char sep)
{
	return (h ^ sep) * FNV_PRIME;
}

/* The hash of a DN: structural when it parses (*parsed keeps the parse
 * for the caller when parsed != NULL), else of the folded text. */
static uint64_t
dn_hash(const char *dn, LDAPDN *parsed)
{
	LDAPDN d = NULL;
	uint64_t h = FNV_OFFSET;
	size_t i, k;

	if (ldap_str2dn(dn, &d, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
		ldap_dnfree(d);
		if (parsed != NULL)
			*parsed = NULL;
		return hash_sep(hash_bytes(h, dn, strlen(dn)), 3);
	}
	for (i = 0; d != NULL && d[i] != NULL; i++) {
		for (k = 0; d[i][k] != NULL; k++) {
			h = hash_bytes(h, d[i][k]->la_attr.bv_val, d[i][k]->la_attr.bv_len);
			h = hash_sep(h, 1);
			h = hash_bytes(h, d[i][k]->la_value.bv_val, d[i][k]->la_value.bv_len);
			h = hash_sep(h, 2);
		}
		h = hash_sep(h, 4);
	}
	if (parsed != NULL)
		*parsed = d;
	else
		ldap_dnfree(d);
	return h;
}

static uint64_t
name_hash(int container, const char *name)
{
	return hash_bytes(hash_sep(FNV_OFFSET, (unsigned char)container), name, strlen(name));
}

/* Objects plan_find_object-style lookups by name can return. */
static bool
findable_by_name(const store_object *o)
{
	if (o->container == CONT_NTAUTH)
		return true;
	return !o->is_container_root && o->parent_name == NULL && o->name != NULL;
}

static void
index_free(store_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->by_dn);
	free(ix->by_name);
	free(ix->dn_hash);
	free(ix);
}

static void
index_put(size_t *table, size_t mask, uint64_t h, size_t value)
{
	size_t slot = (size_t)h & mask;

	while (table[slot] != 0)
		slot = (slot + 1) & mask;
	table[slot] = value + 1;
}

/* The tables for s, built (or rebuilt when objects were added) on demand;
 * NULL on out of memory, and lookups then search linearly. */
static store_index *
index_get(const snapshot *cs)
{
	snapshot *s = (snapshot *)cs;   /* a cache: lookups leave s's content alone */
	store_index *ix = s->index;
	size_t size = 16, i;

	if (ix != NULL && ix->count == s->object_count)
		return ix;
	index_free(ix);
	s->index = NULL;
	while (size < 2 * s->object_count)
		size *= 2;
	ix = calloc(1, sizeof *ix);
	if (ix == NULL)
		return NULL;
	ix->count = s->object_count;
	ix->mask = size - 1;
	ix->by_dn = calloc(size, sizeof *ix->by_dn);
	ix->by_name = calloc(size, sizeof *ix->by_name);
	ix->dn_hash = calloc(s->object_count + 1, sizeof *ix->dn_hash);
	if (ix->by_dn == NULL || ix->by_name == NULL || ix->dn_hash == NULL) {
		index_free(ix);
		return NULL;
	}
	for (i = 0; i < s->object_count; i++) {
		const store_object *o = &s->objects[i];
		ix->dn_hash[i] = dn_hash(o->dn, NULL);
		index_put(ix->by_dn, ix->mask, ix->dn_hash[i], i);
		if (findable_by_name(o))
			index_put(ix->by_name, ix->mask,
			          name_hash((int)o->container,
			                    o->container == CONT_NTAUTH ? "" : o->name), i);
	}
	s->index = ix;
	return ix;
}

static bool
dn_equal_parsed(const char *a_text, LDAPDN b)
{
	LDAPDN a = NULL;
	bool same = false;

	if (b != NULL && ldap_str2dn(a_text, &a, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
	    adname_dn_length(a) == adname_dn_length(b)) {
		size_t k;
		same = true;
		for (k = 0; same && a[k] != NULL; k++)
			same = adname_rdn_equal(a[k], b[k]);
	}
	ldap_dnfree(a);
	return same;
}

/* Linear search, when the tables cannot be built. */
static store_object *
find_linear(const snapshot *s, const char *dn, LDAPDN parsed)
{
	size_t i;

	for (i = 0; i < s->object_count; i++) {
		if (strcasecmp(s->objects[i].dn, dn) == 0)
			return &s->objects[i];
	}
	for (i = 0; i < s->object_count; i++) {
		if (dn_equal_parsed(s->objects[i].dn, parsed))
			return &s->objects[i];
	}
	return NULL;
}

store_object *
snapshot_find(const snapshot *s, const char *dn)
{
	store_index *ix = index_get(s);
	store_object *found = NULL, *same_text = NULL;
	LDAPDN parsed = NULL;
	uint64_t h = dn_hash(dn, &parsed);
	size_t slot;

	if (ix == NULL) {
		found = find_linear(s, dn, parsed);
		ldap_dnfree(parsed);
		return found;
	}
	/* Among the candidates, the DN spelled the same wins (as the linear
	 * search, which tried the text first); otherwise the first one that
	 * is structurally equal. */
	for (slot = (size_t)h & ix->mask; ix->by_dn[slot] != 0; slot = (slot + 1) & ix->mask) {
		size_t i = ix->by_dn[slot] - 1;
		store_object *o = &s->objects[i];
		if (ix->dn_hash[i] != h)
			continue;
		if (strcasecmp(o->dn, dn) == 0) {
			if (same_text == NULL || o < same_text)
				same_text = o;
		} else if (dn_equal_parsed(o->dn, parsed) && (found == NULL || o < found))
			found = o;
	}
	ldap_dnfree(parsed);
	return same_text != NULL ? same_text : found;
}

const store_object *
snapshot_find_name(const snapshot *s, container_id c, const char *name)
{
	store_index *ix = index_get(s);
	const store_object *found = NULL;
	size_t slot, i;

	if (ix == NULL) {
		for (i = 0; i < s->object_count; i++) {
			const store_object *o = &s->objects[i];
			if ((int)o->container == (int)c && findable_by_name(o) &&
			    (c == CONT_NTAUTH || strcasecmp(o->name, name) == 0))
				return o;
		}
		return NULL;
	}
	for (slot = (size_t)name_hash((int)c, c == CONT_NTAUTH ? "" : name) & ix->mask;
	     ix->by_name[slot] != 0; slot = (slot + 1) & ix->mask) {
		const store_object *o = &s->objects[ix->by_name[slot] - 1];
		/* The first in object order, as a linear search would find. */
		if ((int)o->container == (int)c &&
		    (c == CONT_NTAUTH || strcasecmp(o->name, name) == 0) &&
		    (found == NULL || o < found))
			found = o;
	}
	return found;
}

/* Takes a copy of the bytes; decoding waits for the first use. */
static adpki_result
value_init(store_value *v, const char *attribute, const struct berval *bv, adpki_error *err)
{
	memset(v, 0, sizeof *v);
	v->attribute = attribute;
	v->bytes = malloc(bv->bv_len);
	if (v->bytes == NULL)
		return adpki_fail_oom(err);
	memcpy(v->bytes, bv->bv_val, bv->bv_len);
	v->len = bv->bv_len;
	return ADPKI_OK;
}

/* Decodes v once (again when a brief decode is there and the full one is
 * asked for).  The snapshot is a cache of decoded values here: the const
 * is cast away only for these fields, never for what was read.  A value
 * that does not decode is kept with the reason: list shows it, never
 * hides it. */
static void
value_decode(const store_object *o, const store_value *cv, bool full)
{
	store_value *v = (store_value *)cv;
	adpki_error derr = { ADPKI_OK, "" };

	if (full && v->cert != NULL && !v->cert->self_signed_checked) {
		cert_free(v->cert);
		v->cert = NULL;
		v->decoded = false;
	}
	if (v->decoded || v->cert != NULL || v->crl != NULL || v->decode_error != NULL)
		return;
	v->decoded = true;
	if (is_crl_attribute(v->attribute)) {
		v->crl = calloc(1, sizeof *v->crl);
		if (v->crl == NULL) {
			v->decode_error = strdup("out of memory");
			return;
		}
		if (crl_from_der(v->bytes, v->len, o->dn, v->crl, &derr) != ADPKI_OK) {
			free(v->crl);
			v->crl = NULL;
			v->decode_error = strdup(derr.message);
		}
	} else if ((full ? cert_from_der : cert_from_der_brief)(v->bytes, v->len, o->dn, &v->cert,
	                                                       &derr) != ADPKI_OK) {
		v->cert = NULL;
		v->decode_error = strdup(derr.message);
	}
}

const cert *
store_value_cert(const store_object *o, const store_value *v)
{
	value_decode(o, v, true);
	return v->cert;
}

const cert *
store_value_cert_brief(const store_object *o, const store_value *v)
{
	value_decode(o, v, false);
	return v->cert;
}

const crl_info *
store_value_crl(const store_object *o, const store_value *v)
{
	value_decode(o, v, false);
	return v->crl;
}

const char *
store_value_error(const store_object *o, const store_value *v)
{
	value_decode(o, v, false);
	return v->cert == NULL && v->crl == NULL ? v->decode_error : NULL;
}

void
store_value_forget(const store_value *cv)
{
	store_value *v = (store_value *)cv;

	if (v->cert == NULL && v->crl == NULL)
		return;
	cert_free(v->cert);
	v->cert = NULL;
	if (v->crl != NULL) {
		crl_info_clear(v->crl);
		free(v->crl);
		v->crl = NULL;
	}
	v->decoded = false;
}

static adpki_result
object_add_values(store_object *o, const char *attribute, struct berval **vals,
                  adpki_error *err)
{
	size_t n = 0, i;
	store_value *grown;

	while (vals != NULL && vals[n] != NULL)
		n++;
	if (o->value_count + n > STORE_MAX_VALUES)
		return adpki_fail(err, ADPKI_ERR_DIRECTORY,
		                  "%s holds more than %d values: refusing to read further",
		                  o->dn, STORE_MAX_VALUES);
	grown = realloc(o->values, (o->value_count + n + 1) * sizeof *grown);
	if (grown == NULL)
		return adpki_fail_oom(err);
	o->values = grown;
	for (i = 0; i < n; i++) {
		if (vals[i]->bv_len <= 1) {
			/* The 0x00 placeholder (or an empty value): not a certificate. */
			o->placeholder_count++;
			continue;
		}
		if (value_init(&o->values[o->value_count], attribute, vals[i], err) != ADPKI_OK)
			return err->code;
		o->value_count++;
	}
	return ADPKI_OK;
}

/* Reads the remaining ranges of one attribute of one entry. */
static adpki_result
read_remaining_ranges(conn *c, store_object *o, const char *attribute, const char *base,
                      long high, size_t received, const adpki_logger *log, adpki_error *err)
{
	char desc[128];
	int rounds = 0;

	while (store_next_range(base, high, received, desc, sizeof desc)) {
		char *attrs[] = { desc, NULL };
		LDAPMessage *res = NULL, *entry;
		struct timeval tv = { c->timeout, 0 };
		BerElement *ber = NULL;
		char *a;
		int rc;

		if (++rounds > STORE_MAX_RANGE_ROUNDS)
			return adpki_fail(err, ADPKI_ERR_DIRECTORY,
			                  "ranged retrieval of %s on %s did not finish", desc, o->dn);
		ADPKI_LOG(log, "reading %s of %s", desc, o->dn);
		rc = ldap_search_ext_s(c->ld, o->dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
		                       NULL, NULL, &tv, LDAP_NO_LIMIT, &res);
		conn_count_exchange(c, CONN_OP_SEARCH);
		if (rc != LDAP_SUCCESS) {
			ldap_msgfree(res);
			return conn_ldap_fail(c, err, rc, "ranged read of", o->dn, NULL);
		}
		received = 0;
		high = -1;
		entry = ldap_first_entry(c->ld, res);
		for (a = entry ? ldap_first_attribute(c->ld, entry, &ber) : NULL; a != NULL;
		     a = ldap_next_attribute(c->ld, entry, ber)) {
			char got_base[128];
			long low;
			struct berval **vals;

			if (store_parse_range(a, got_base, sizeof got_base, &low, &high) &&
			    strcasecmp(got_base, base) == 0) {
				vals = ldap_get_values_len(c->ld, entry, a);
				received = (size_t)ldap_count_values_len(vals);
				rc = object_add_values(o, attribute, vals, err);
				ldap_value_free_len(vals);
				if (rc != ADPKI_OK) {
					ldap_memfree(a);
					ber_free(ber, 0);
					ldap_msgfree(res);
					return err->code;
				}
			}
			ldap_memfree(a);
		}
		ber_free(ber, 0);
		ldap_msgfree(res);
	}
	return ADPKI_OK;
}

static adpki_result
object_read_attribute(conn *c, store_object *o, LDAPMessage *entry, const char *desc,
                      const adpki_logger *log, adpki_error *err)
{
	char base[128];
	long low, high;
	bool ranged = store_parse_range(desc, base, sizeof base, &low, &high);
	const char *attribute = canonical_attribute(ranged ? base : desc);
	struct berval **vals;
	size_t received;
	adpki_result rc;

	if (strcasecmp(desc, "dNSHostName") == 0) {
		vals = ldap_get_values_len(c->ld, entry, desc);
		if (vals != NULL && vals[0] != NULL && o->dns_host_name == NULL)
			o->dns_host_name = strndup(vals[0]->bv_val, vals[0]->bv_len > 255 ? 255 : vals[0]->bv_len);
		ldap_value_free_len(vals);
		return ADPKI_OK;
	}
	if (attribute == NULL)
		return ADPKI_OK;
	vals = ldap_get_values_len(c->ld, entry, desc);
	received = (size_t)ldap_count_values_len(vals);
	rc = object_add_values(o, attribute, vals, err);
	ldap_value_free_len(vals);
	if (rc != ADPKI_OK || !ranged)
		return rc;
	return read_remaining_ranges(c, o, attribute, base, high, received, log, err);
}

static adpki_result
snapshot_add_entry(conn *c, snapshot *s, LDAPMessage *entry, const adpki_logger *log,
                   adpki_error *err)
{
	char *dn = ldap_get_dn(c->ld, entry), *name = NULL, *a;
	BerElement *ber = NULL;
	store_object *o, *grown;
	int depth = -1, id;
	adpki_result rc = ADPKI_OK;

	if (dn == NULL)
		return adpki_fail(err, ADPKI_ERR_DIRECTORY, "an entry without a DN in the answer from %s",
		                  c->server);
	id = classify(s->pks_dn, dn, &depth, &name);
	if (id < 0 || !(s->mask & (1u << id)) || (id == CONT_CDP && depth == 2)) {
		/* Outside the six containers, or a CDP host container. */
		if (id >= 0 && depth == 1)
			s->present[id] = true;
		ldap_memfree(dn);
		free(name);
		return ADPKI_OK;
	}
	if (depth == 1) {
		s->present[id] = true;
		if (id != CONT_NTAUTH) {
			ldap_memfree(dn);
			free(name);
			return ADPKI_OK;
		}
	}
	grown = realloc(s->objects, (s->object_count + 1) * sizeof *grown);
	if (grown == NULL) {
		ldap_memfree(dn);
		free(name);
		return adpki_fail_oom(err);
	}
	s->objects = grown;
	o = &s->objects[s->object_count++];
	memset(o, 0, sizeof *o);
	o->dn = strdup(dn);
	o->name = name;
	o->container = (container_id)id;
	o->is_container_root = depth == 1;
	ldap_memfree(dn);
	if (o->dn == NULL)
		return adpki_fail_oom(err);
	if (id == CONT_CDP && depth == 3) {
		LDAPDN parsed = NULL;
		if (ldap_str2dn(o->dn, &parsed, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
		    parsed[1] != NULL && parsed[1][0] != NULL)
			o->parent_name = strndup(parsed[1][0]->la_value.bv_val, parsed[1][0]->la_value.bv_len);
		ldap_dnfree(parsed);
	}
	for (a = ldap_first_attribute(c->ld, entry, &ber); a != NULL && rc == ADPKI_OK;
	     a = ldap_next_attribute(c->ld, entry, ber)) {
		rc = object_read_attribute(c, o, entry, a, log, err);
		ldap_memfree(a);
	}
	if (a != NULL)
		ldap_memfree(a);
	ber_free(ber, 0);
	return rc;
}

static char *search_attrs[] = {
	"cn", "dNSHostName", "cACertificate", "crossCertificatePair", "userCertificate",
	"certificateRevocationList", "deltaRevocationList", NULL
};

/* Only the classes that live in the six containers: CN=Certificate
 * Templates and CN=OID can hold many objects adpki never needs. */
static const char search_filter[] =
	"(|(objectClass=certificationAuthority)(objectClass=pKIEnrollmentService)"
	"(objectClass=cRLDistributionPoint)(objectClass=msPKI-PrivateKeyRecoveryAgent)"
	"(objectClass=container))";

/* One paged search; each page's entries are added to s. */
static adpki_result
paged_search(conn *c, snapshot *s, const char *base, int scope, const char *filter,
             bool absent_ok, const adpki_logger *log, adpki_error *err)
{
	struct berval cookie = { 0, NULL };
	int pages = 0;
	adpki_result result = ADPKI_OK;

	do {
		LDAPControl *page = NULL, *server_ctrls[2] = { NULL, NULL }, **resp_ctrls = NULL;
		LDAPMessage *res = NULL, *e;
		struct timeval tv = { c->timeout, 0 };
		char *diag = NULL;
		int rc, code = 0;
		ber_int_t estimate;

		rc = ldap_create_page_control(c->ld, STORE_PAGE_SIZE, cookie.bv_val ? &cookie : NULL,
		                              1, &page);
		if (rc != LDAP_SUCCESS) {
			result = conn_ldap_fail(c, err, rc, "building the paged search of", base, NULL);
			break;
		}
		server_ctrls[0] = page;
		rc = ldap_search_ext_s(c->ld, base, scope, filter, search_attrs, 0, server_ctrls,
		                       NULL, &tv, LDAP_NO_LIMIT, &res);
		conn_count_exchange(c, CONN_OP_SEARCH);
		ldap_control_free(page);
		if (rc == LDAP_NO_SUCH_OBJECT && pages == 0 && absent_ok) {
			/* The base is absent (no NTAuthCertificates yet): nothing to read. */
			ldap_msgfree(res);
			break;
		}
		if (rc == LDAP_NO_SUCH_OBJECT && pages == 0) {
			ldap_msgfree(res);
			result = adpki_fail(err, ADPKI_ERR_CONFIG,
			                    "%s does not exist on %s: check --config-nc, and that this "
			                    "is an AD forest", base, c->server);
			break;
		}
		if (rc != LDAP_SUCCESS) {
			ldap_msgfree(res);
			result = conn_ldap_fail(c, err, rc, "search of", base, NULL);
			break;
		}
		rc = ldap_parse_result(c->ld, res, &code, NULL, &diag, NULL, &resp_ctrls, 0);
		if (rc == LDAP_SUCCESS && code != LDAP_SUCCESS) {
			result = conn_ldap_fail(c, err, code, "search of", base, diag);
			ldap_memfree(diag);
			ldap_controls_free(resp_ctrls);
			ldap_msgfree(res);
			break;
		}
		ldap_memfree(diag);
		for (e = ldap_first_entry(c->ld, res); e != NULL && result == ADPKI_OK;
		     e = ldap_next_entry(c->ld, e))
			result = snapshot_add_entry(c, s, e, log, err);
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (resp_ctrls != NULL) {
			LDAPControl *pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, resp_ctrls, NULL);
			if (pr != NULL)
				ldap_parse_pageresponse_control(c->ld, pr, &estimate, &cookie);
		}
		ldap_controls_free(resp_ctrls);
		ldap_msgfree(res);
		pages++;
		ADPKI_LOG(log, "page %d of %s: %zu objects so far", pages, base, s->object_count);
	} while (result == ADPKI_OK && cookie.bv_val != NULL && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	return result;
}

static int
object_order(const void *a, const void *b)
{
	const store_object *x = a, *y = b;

	if (x->container != y->container)
		return (int)x->container - (int)y->container;
	if (x->parent_name != NULL && y->parent_name != NULL) {
		int p = strcasecmp(x->parent_name, y->parent_name);
		if (p != 0)
			return p;
	}
	return strcasecmp(x->name ? x->name : "", y->name ? y->name : "");
}

static snapshot *
snapshot_new(const char *pks_dn, unsigned mask)
{
	snapshot *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->pks_dn = strdup(pks_dn);
	s->mask = mask;
	if (s->pks_dn == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

/* Only some containers: Public Key Services must exist (a clear error
 * when --config-nc is wrong), then each container is read on its own, so
 * that publishing to NTAuthCertificates does not fetch every CA object. */
static adpki_result
read_containers(conn *c, snapshot *s, const adpki_logger *log, adpki_error *err)
{
	adpki_result rc;
	int id;

	rc = paged_search(c, s, c->pks_dn, LDAP_SCOPE_BASE, "(objectClass=*)", false, log, err);
	for (id = 0; id < CONT_COUNT && rc == ADPKI_OK; id++) {
		char *base;
		if (!(s->mask & (1u << id)))
			continue;
		base = store_container_dn(c->pks_dn, (container_id)id);
		if (base == NULL)
			return adpki_fail_oom(err);
		ADPKI_LOG(log, "reading %s (subtree, paged)", base);
		rc = paged_search(c, s, base, LDAP_SCOPE_SUBTREE, search_filter, true, log, err);
		free(base);
	}
	return rc;
}

adpki_result
snapshot_read(conn *c, unsigned mask, const adpki_logger *log, snapshot **out,
              adpki_error *err)
{
	snapshot *s = snapshot_new(c->pks_dn, mask & CONT_MASK_ALL);
	adpki_result rc;

	*out = NULL;
	if (s == NULL)
		return adpki_fail_oom(err);
	if (s->mask == CONT_MASK_ALL) {
		ADPKI_LOG(log, "reading %s (subtree, paged)", c->pks_dn);
		rc = paged_search(c, s, c->pks_dn, LDAP_SCOPE_SUBTREE, search_filter, false, log, err);
	} else {
		rc = read_containers(c, s, log, err);
	}
	if (rc != ADPKI_OK) {
		snapshot_free(s);
		return rc;
	}
	/* An empty answer leaves objects NULL, which qsort must not get. */
	if (s->object_count > 1)
		qsort(s->objects, s->object_count, sizeof *s->objects, object_order);
	*out = s;
	return ADPKI_OK;
}

/* --- read-back: base searches kept in flight ---------------------------- */

typedef struct {
	int msgid;
	size_t index;       /* into the caller's dns[] */
} read_slot;

/* Sends one base search of dn; *msgid receives its id. */
static adpki_result
send_base_search(conn *c, const char *dn, int *msgid, adpki_error *err)
{
	int rc = ldap_search_ext(c->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", search_attrs, 0,
	                         NULL, NULL, NULL, LDAP_NO_LIMIT, msgid);

	if (rc != LDAP_SUCCESS)
		return conn_ldap_fail(c, err, rc, "read-back search of", dn, NULL);
	conn_count_sent(c, CONN_OP_SEARCH, *msgid);
	return ADPKI_OK;
}

/* Waits (c->timeout) for the whole answer to msgid and adds its entry to
 * s; noSuchObject leaves the DN absent. */
static adpki_result
collect_base_search(conn *c, snapshot *s, int msgid, const char *dn, const adpki_logger *log,
                    adpki_error *err)
{
	struct timeval tv = { c->timeout, 0 };
	LDAPMessage *res = NULL, *m;
	adpki_result result = ADPKI_OK;
	int rc, code = LDAP_OTHER;
	char *diag = NULL;

	rc = ldap_result(c->ld, msgid, LDAP_MSG_ALL, c->timeout > 0 ? &tv : NULL, &res);
	if (rc == 0) {
		ldap_msgfree(res);
		return adpki_fail(err, ADPKI_ERR_DIRECTORY,
		                  "read-back search of %s on %s: no answer within %d seconds "
		                  "(--timeout)", dn, c->server, c->timeout);
	}
	if (rc < 0) {
		ldap_msgfree(res);
		ldap_get_option(c->ld, LDAP_OPT_RESULT_CODE, &code);
		return conn_ldap_fail(c, err, code, "read-back search of", dn, NULL);
	}
	conn_count_answered(c, msgid);
	for (m = ldap_first_message(c->ld, res); m != NULL; m = ldap_next_message(c->ld, m)) {
		if (ldap_msgtype(m) != LDAP_RES_SEARCH_RESULT)
			continue;
		if (ldap_parse_result(c->ld, m, &code, NULL, &diag, NULL, NULL, 0) != LDAP_SUCCESS)
			code = LDAP_OTHER;
		break;
	}
	if (code == LDAP_SUCCESS) {
		for (m = ldap_first_entry(c->ld, res); m != NULL && result == ADPKI_OK;
		     m = ldap_next_entry(c->ld, m))
			result = snapshot_add_entry(c, s, m, log, err);
	} else if (code != LDAP_NO_SUCH_OBJECT) {
		/* noSuchObject: the object is absent, which the caller checks. */
		result = conn_ldap_fail(c, err, code, "read-back search of", dn, diag);
	}
	ldap_memfree(diag);
	ldap_msgfree(res);
	return result;
}

static adpki_result read_by_base_searches(conn *c, snapshot *s, const char *const *dns,
                                          size_t count, const adpki_logger *log,
                                          adpki_error *err);

/* --- read-back: many objects of one container by one filter ------------- */

/* A container with at least this many objects to read is searched with a
 * filter naming them by cn, READ_FILTER_CHUNK names per search, instead of
 * one base search each: on AD every search is an operation of its own, so
 * 500 objects cost 3 searches instead of 500. */
#define READ_FILTER_MIN 8
#define READ_FILTER_CHUNK 200

typedef struct {
	const char *dn;
	char *parent;            /* ldap_dn2str of all but the first RDN, or NULL */
	char *cn_filter;         /* "(cn=<escaped value>)", or NULL */
} dn_item;

static int
item_by_parent(const void *a, const void *b)
{
	const dn_item *x = a, *y = b;

	if (x->parent == NULL || y->parent == NULL)
		return (x->parent == NULL) - (y->parent == NULL);
	return strcasecmp(x->parent, y->parent);
}

/* The parent and a cn filter clause for dn, when its RDN is one cn value. */
static void
item_split(dn_item *it)
{
	LDAPDN parsed = NULL;

	if (ldap_str2dn(it->dn, &parsed, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS && parsed != NULL &&
	    parsed[0] != NULL && parsed[1] != NULL && parsed[0][0] != NULL &&
	    parsed[0][1] == NULL && strcasecmp(parsed[0][0]->la_attr.bv_val, "cn") == 0) {
		char *esc = adname_filter_escape((unsigned char *)parsed[0][0]->la_value.bv_val,
		                                 parsed[0][0]->la_value.bv_len);
		if (esc != NULL && ldap_dn2str(parsed + 1, &it->parent, LDAP_DN_FORMAT_LDAPV3) ==
		                   LDAP_SUCCESS && (it->cn_filter = malloc(strlen(esc) + 6)) != NULL)
			sprintf(it->cn_filter, "(cn=%s)", esc);
		free(esc);
		if (it->cn_filter == NULL) {
			ldap_memfree(it->parent);
			it->parent = NULL;
		}
	}
	ldap_dnfree(parsed);
}

static void
items_free(dn_item *items, size_t n)
{
	size_t i;

	for (i = 0; items != NULL && i < n; i++) {
		ldap_memfree(items[i].parent);
		free(items[i].cn_filter);
	}
	free(items);
}

/* Reads items [first, end) (one parent) with one-level searches whose
 * filter ORs their cn clauses.  Objects not returned are absent. */
static adpki_result
read_by_filter(conn *c, snapshot *s, const dn_item *items, size_t first, size_t end,
               const adpki_logger *log, adpki_error *err)
{
	adpki_result rc = ADPKI_OK;
	size_t i, k;

	for (i = first; i < end && rc == ADPKI_OK; i += READ_FILTER_CHUNK) {
		size_t stop = i + READ_FILTER_CHUNK < end ? i + READ_FILTER_CHUNK : end, len = 4;
		char *filter, *p;

		for (k = i; k < stop; k++)
			len += strlen(items[k].cn_filter);
		if ((filter = malloc(len)) == NULL)
			return adpki_fail_oom(err);
		p = filter;
		p += sprintf(p, "(|");
		for (k = i; k < stop; k++)
			p += sprintf(p, "%s", items[k].cn_filter);
		sprintf(p, ")");
		ADPKI_LOG(log, "reading back %zu objects of %s", stop - i, items[i].parent);
		rc = paged_search(c, s, items[i].parent, LDAP_SCOPE_ONELEVEL, filter, true, log, err);
		free(filter);
	}
	return rc;
}

/* Splits dns into the ones read by filter (done here) and the rest,
 * returned in *rest (count *nrest) for base searches. */
static adpki_result
read_groups_by_filter(conn *c, snapshot *s, const char *const *dns, size_t count,
                      const adpki_logger *log, const char ***rest, size_t *nrest,
                      adpki_error *err)
{
	dn_item *items = calloc(count + 1, sizeof *items);
	adpki_result rc = ADPKI_OK;
	size_t i, end;

	*rest = calloc(count + 1, sizeof **rest);
	*nrest = 0;
	if (items == NULL || *rest == NULL) {
		items_free(items, 0);
		return adpki_fail_oom(err);
	}
	for (i = 0; i < count; i++) {
		items[i].dn = dns[i];
		item_split(&items[i]);
	}
	qsort(items, count, sizeof *items, item_by_parent);
	for (i = 0; i < count && rc == ADPKI_OK; i = end) {
		for (end = i + 1; end < count && items[i].parent != NULL && items[end].parent != NULL &&
		                  strcasecmp(items[i].parent, items[end].parent) == 0; end++)
			;
		if (items[i].parent != NULL && end - i >= READ_FILTER_MIN) {
			rc = read_by_filter(c, s, items, i, end, log, err);
		} else {
			size_t k;
			for (k = i; k < end; k++)
				(*rest)[(*nrest)++] = items[k].dn;
		}
	}
	items_free(items, count);
	return rc;
}

/* Objects of a container with many to read: by filter (above); the rest
 * by one base search each, up to c->window of them in flight: over a slow
 * link n objects cost about n/window round trips instead of n. */
adpki_result
snapshot_read_dns(conn *c, const char *const *dns, size_t count, const adpki_logger *log,
                  snapshot **out, adpki_error *err)
{
	const char **rest = NULL;
	size_t nrest = 0;
	snapshot *s = NULL;
	adpki_result rc;

	*out = NULL;
	s = snapshot_new(c->pks_dn, CONT_MASK_ALL);
	if (s == NULL)
		return adpki_fail_oom(err);
	rc = read_groups_by_filter(c, s, dns, count, log, &rest, &nrest, err);
	if (rc == ADPKI_OK)
		rc = read_by_base_searches(c, s, rest, nrest, log, err);
	free(rest);
	if (rc != ADPKI_OK) {
		snapshot_free(s);
		return rc;
	}
	*out = s;
	return ADPKI_OK;
}

/* Answers are collected in the order sent. */
static adpki_result
read_by_base_searches(conn *c, snapshot *s, const char *const *dns, size_t count,
                      const adpki_logger *log, adpki_error *err)
{
	size_t window = c->window > 0 ? (size_t)c->window : CONN_DEFAULT_WINDOW;
	size_t sent = 0, done = 0;
	read_slot *slots;
	adpki_result rc = ADPKI_OK;

	if (window > CONN_MAX_WINDOW)
		window = CONN_MAX_WINDOW;
	if (window > count)
		window = count > 0 ? count : 1;
	slots = calloc(window, sizeof *slots);
	if (slots == NULL)
		return adpki_fail_oom(err);
	/* slots is a ring: request k lives in slots[k % window]. */
	while (done < count && rc == ADPKI_OK) {
		while (sent < count && sent - done < window && rc == ADPKI_OK) {
			read_slot *sl = &slots[sent % window];
			sl->index = sent;
			rc = send_base_search(c, dns[sent], &sl->msgid, err);
			if (rc == ADPKI_OK)
				sent++;
		}
		if (rc != ADPKI_OK)
			break;
		rc = collect_base_search(c, s, slots[done % window].msgid,
		                         dns[slots[done % window].index], log, err);
		if (rc == ADPKI_OK)
			done++;
	}
	if (rc != ADPKI_OK) {
		/* The failed request and every later one still in flight. */
		for (; done < sent; done++)
			ldap_abandon_ext(c->ld, slots[done % window].msgid, NULL, NULL);
	}
	free(slots);
	return rc;
}
