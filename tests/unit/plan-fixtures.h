/* plan-fixtures.h - test helpers shared by test-plan.c and test-ldif.c:
 * certificates made on the spot with GnuTLS (any subject, CA flag, issuer
 * and expiry, including hostile subjects), and snapshots built by hand the
 * way store.c builds them (malloc'd arrays and strings), so snapshot_free
 * releases them. */
#ifndef ADPKI_PLAN_FIXTURES_H
#define ADPKI_PLAN_FIXTURES_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "cert.h"
#include "store.h"

#define FX_PKS "CN=Public Key Services,CN=Services,CN=Configuration,DC=adpki,DC=test"

typedef struct {
	cert *c;
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
} fx_ca;

static unsigned fx_serial = 100;

/* A certificate with common name cn; self-signed when issuer is NULL. */
static inline fx_ca
fx_make(const char *cn, bool ca, const fx_ca *issuer, time_t not_after)
{
	fx_ca out = { NULL, NULL, NULL };
	unsigned char der[8192], serial[4];
	size_t der_len = sizeof der;
	adpki_error err;

	gnutls_x509_privkey_init(&out.key);
	gnutls_x509_privkey_generate(out.key, GNUTLS_PK_ECDSA,
	                             GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	gnutls_x509_crt_init(&out.crt);
	gnutls_x509_crt_set_version(out.crt, 3);
	fx_serial++;
	serial[0] = 0x01;
	serial[1] = (unsigned char)(fx_serial >> 16);
	serial[2] = (unsigned char)(fx_serial >> 8);
	serial[3] = (unsigned char)fx_serial;
	gnutls_x509_crt_set_serial(out.crt, serial, sizeof serial);
	gnutls_x509_crt_set_activation_time(out.crt, not_after - 10 * 365 * 86400L);
	gnutls_x509_crt_set_expiration_time(out.crt, not_after);
	gnutls_x509_crt_set_dn_by_oid(out.crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
	                              "adpki tests", 11);
	gnutls_x509_crt_set_dn_by_oid(out.crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	                              (unsigned)strlen(cn));
	gnutls_x509_crt_set_key(out.crt, out.key);
	gnutls_x509_crt_set_basic_constraints(out.crt, ca ? 1 : 0, -1);
	gnutls_x509_crt_set_key_usage(out.crt, ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN
	                                          : GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (issuer != NULL)
		gnutls_x509_crt_sign2(out.crt, issuer->crt, issuer->key, GNUTLS_DIG_SHA256, 0);
	else
		gnutls_x509_crt_sign2(out.crt, out.crt, out.key, GNUTLS_DIG_SHA256, 0);
	if (gnutls_x509_crt_export(out.crt, GNUTLS_X509_FMT_DER, der, &der_len) < 0 ||
	    cert_from_der(der, der_len, cn, &out.c, &err) != ADPKI_OK) {
		fprintf(stderr, "fx_make(%s) failed\n", cn);
		exit(99);
	}
	return out;
}

static inline void
fx_free(fx_ca *f)
{
	cert_free(f->c);
	gnutls_x509_crt_deinit(f->crt);
	gnutls_x509_privkey_deinit(f->key);
	memset(f, 0, sizeof *f);
}

/* An empty snapshot covering every container; all containers exist except
 * the NTAuth object (as on a fresh forest). */
static inline snapshot *
fx_snapshot(void)
{
	snapshot *s = calloc(1, sizeof *s);
	int i;

	s->pks_dn = strdup(FX_PKS);
	s->mask = CONT_MASK_ALL;
	for (i = 0; i < CONT_COUNT; i++)
		s->present[i] = i != CONT_NTAUTH;
	return s;
}

/* Adds an object (the NTAuth object for CONT_NTAUTH); returns its index. */
static inline size_t
fx_object(snapshot *s, container_id c, const char *name, size_t placeholders)
{
	store_object *o;

	s->objects = realloc(s->objects, (s->object_count + 1) * sizeof *s->objects);
	o = &s->objects[s->object_count];
	memset(o, 0, sizeof *o);
	o->container = c;
	o->is_container_root = c == CONT_NTAUTH;
	o->name = strdup(c == CONT_NTAUTH ? "NTAuthCertificates" : name);
	o->dn = store_object_dn(s->pks_dn, c, o->name);
	o->placeholder_count = placeholders;
	if (c == CONT_NTAUTH)
		s->present[CONT_NTAUTH] = true;
	return s->object_count++;
}

static inline const char *
fx_canonical(const char *attr)
{
	static const char *const names[] = {
		"cACertificate", "crossCertificatePair", "userCertificate",
		"certificateRevocationList", "deltaRevocationList", NULL
	};
	int i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], attr) == 0)
			return names[i];
	}
	return NULL;
}

/* Adds a certificate value (a decoded copy, as store.c keeps it). */
static inline void
fx_value(snapshot *s, size_t obj, const char *attr, const cert *c)
{
	store_object *o = &s->objects[obj];
	store_value *v;
	adpki_error err;

	o->values = realloc(o->values, (o->value_count + 1) * sizeof *o->values);
	v = &o->values[o->value_count++];
	memset(v, 0, sizeof *v);
	v->attribute = fx_canonical(attr);
	v->bytes = malloc(c->der_len);
	memcpy(v->bytes, c->der, c->der_len);
	v->len = c->der_len;
	if (cert_from_der(v->bytes, v->len, o->dn, &v->cert, &err) != ADPKI_OK)
		v->cert = NULL;
}

#endif
