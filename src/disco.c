/* disco.c - where the domain controllers are: DNS SRV records
 * (_ldap._tcp.dc._msdcs.<domain>, which only DCs register) and the
 * Kerberos default realm as the domain to look them up in. */
#include "config.h"
#include "conn.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <krb5.h>

/* A DNS name is at most 253 characters; anything longer is not a domain. */
#define DISCO_NAME_MAX 253
/* More DCs than this in one SRV answer is not a real domain; stop there. */
#define DISCO_SRV_MAX 64

typedef struct {
	char host[NS_MAXDNAME];
	unsigned port, priority, weight;
} srv_rec;

void
conn_free_strv(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

/* Letters, digits, '-', '_' and '.' only: the name ends up inside an LDAP
 * URI and in messages, so nothing that could change the URI's meaning. */
static bool
dns_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > DISCO_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.')
			return false;
	}
	return true;
}

/* Lower priority first (RFC 2782); among equals, the larger weight first.
 * Deterministic rather than RFC 2782's weighted random pick, so that -v
 * output and tests are reproducible. */
static int
srv_cmp(const void *a, const void *b)
{
	const srv_rec *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return strcmp(x->host, y->host);
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Parses the answer section into recs; returns how many were usable.
 * Walked by hand with dn_expand (which bounds-checks names and follows
 * compression): ns_initparse/ns_parserr live in libresolv, which glibc
 * 2.34+ no longer needs for res_query, so configure does not link it. */
static size_t
srv_parse(const unsigned char *ans, int len, srv_rec *recs, size_t max)
{
	const unsigned char *end = ans + len;
	const unsigned char *p;
	char name[NS_MAXDNAME];
	size_t n = 0;
	int l;

	if (len < NS_HFIXEDSZ)
		return 0;
	unsigned qd = get16(ans + 4), an = get16(ans + 6);
	p = ans + NS_HFIXEDSZ;
	for (unsigned i = 0; i < qd; i++) {
		if ((l = dn_expand(ans, end, p, name, sizeof name)) < 0)
			return 0;
		p += l;
		if (end - p < NS_QFIXEDSZ)
			return 0;
		p += NS_QFIXEDSZ;
	}
	for (unsigned i = 0; i < an && n < max; i++) {
		if ((l = dn_expand(ans, end, p, name, sizeof name)) < 0)
			break;
		p += l;
		if (end - p < NS_RRFIXEDSZ)
			break;
		unsigned type = get16(p), cls = get16(p + 2), rdlen = get16(p + 8);
		p += NS_RRFIXEDSZ;
		if ((size_t)(end - p) < rdlen)
			break;
		const unsigned char *rd = p;
		p += rdlen;
		if (type != ns_t_srv || cls != ns_c_in || rdlen < 7)
			continue;
		srv_rec *r = &recs[n];
		r->priority = get16(rd);
		r->weight = get16(rd + 2);
		r->port = get16(rd + 4);
		l = dn_expand(ans, end, rd + 6, r->host, sizeof r->host);
		/* The target must lie inside this record's data. */
		if (l < 0 || (unsigned)l > rdlen - 6)
			continue;
		/* "." means "no such service here" (RFC 2782). */
		if (r->host[0] == '\0' || strcmp(r->host, ".") == 0 || r->port == 0)
			continue;
		if (!dns_name_ok(r->host))
			continue;
		n++;
	}
	return n;
}

adpki_result
disco_srv_lookup(const char *domain, char ***uris, adpki_error *err)
{
	char qname[DISCO_NAME_MAX + 64];
	unsigned char *ans = NULL;
	srv_rec *recs = NULL;
	char **v = NULL;
	adpki_result rc = ADPKI_OK;

	*uris = NULL;
	if (domain == NULL || !dns_name_ok(domain))
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "'%s' is not a DNS domain name",
		                  domain != NULL ? domain : "");
	snprintf(qname, sizeof qname, "_ldap._tcp.dc._msdcs.%s", domain);

	/* NS_MAXMSG: the largest DNS message, so no answer is ever cut. */
	ans = malloc(NS_MAXMSG);
	recs = calloc(DISCO_SRV_MAX, sizeof *recs);
	if (ans == NULL || recs == NULL) {
		rc = adpki_fail_oom(err);
		goto out;
	}
	int len = res_query(qname, ns_c_in, ns_t_srv, ans, NS_MAXMSG);
	if (len < 0) {
		/* h_errno tells "no such name" apart from "no DNS at all". */
		rc = adpki_fail(err, ADPKI_ERR_CONFIG,
		                "DNS SRV lookup of %s failed: %s", qname,
		                hstrerror(h_errno));
		goto out;
	}
	if (len > NS_MAXMSG)
		len = NS_MAXMSG;
	size_t n = srv_parse(ans, len, recs, DISCO_SRV_MAX);
	if (n == 0) {
		rc = adpki_fail(err, ADPKI_ERR_CONFIG,
		                "DNS SRV lookup of %s returned no usable record", qname);
		goto out;
	}
	qsort(recs, n, sizeof *recs, srv_cmp);

	v = calloc(n + 1, sizeof *v);
	if (v == NULL) {
		rc = adpki_fail_oom(err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		/* dn_expand gives no trailing dot; 'host:port' as in the record. */
		size_t sz = strlen(recs[i].host) + 32;
		v[i] = malloc(sz);
		if (v[i] == NULL) {
			conn_free_strv(v);
			v = NULL;
			rc = adpki_fail_oom(err);
			goto out;
		}
		snprintf(v[i], sz, "ldap://%s:%u", recs[i].host, recs[i].port);
	}
	*uris = v;
out:
	free(ans);
	free(recs);
	return rc;
}

adpki_result
disco_default_realm_domain(char **domain, adpki_error *err)
{
	krb5_context ctx = NULL;
	char *realm = NULL;
	adpki_result rc = ADPKI_OK;
	krb5_error_code kr;

	*domain = NULL;
	kr = krb5_init_context(&ctx);
	if (kr != 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "cannot read the Kerberos configuration (KRB5_CONFIG or "
		                  "/etc/krb5.conf): %s", error_message(kr));
	kr = krb5_get_default_realm(ctx, &realm);
	if (kr != 0) {
		const char *m = krb5_get_error_message(ctx, kr);
		rc = adpki_fail(err, ADPKI_ERR_CONFIG,
		                "no Kerberos default realm (default_realm in krb5.conf): %s",
		                m);
		krb5_free_error_message(ctx, m);
		goto out;
	}
	if (strlen(realm) > DISCO_NAME_MAX) {
		rc = adpki_fail(err, ADPKI_ERR_CONFIG,
		                "the Kerberos default realm is too long to be a DNS domain");
		goto out;
	}
	*domain = strdup(realm);
	if (*domain == NULL) {
		rc = adpki_fail_oom(err);
		goto out;
	}
	for (char *p = *domain; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
out:
	if (realm != NULL)
		krb5_free_default_realm(ctx, realm);
	krb5_free_context(ctx);
	return rc;
}
