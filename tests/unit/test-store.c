/* test-store.c - the pure parts of the AD PKI model: container names, DN
 * building and classification, and ranged-retrieval bookkeeping (AD's
 * 1,500-value ranges cannot be produced by Samba or slapd, so the range
 * logic is tested here as a function of attribute descriptions). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "tap.h"

#define PKS "CN=Public Key Services,CN=Services,CN=Configuration,DC=samdom,DC=test"

static void
test_containers(void)
{
	unsigned mask = 0;
	adpki_error err;

	IS_INT(container_parse_list("rootca,aia", &mask, &err), ADPKI_OK, "parse rootca,aia");
	IS_INT(mask, (1u << CONT_ROOTCA) | (1u << CONT_AIA), "mask for rootca,aia");
	IS_INT(container_parse_list("NTAuth,CDP,kra,enrollment", &mask, &err), ADPKI_OK,
	       "names in any case");
	IS_INT(container_parse_list("aia,bogus", &mask, &err), ADPKI_ERR_USAGE, "unknown name refused");
	OK(strstr(err.message, "bogus") != NULL, "message names the unknown container");
	IS_INT(container_parse_list("", &mask, &err), ADPKI_ERR_USAGE, "empty list refused");
	IS_STR(container_name(CONT_NTAUTH), "ntauth", "container name");
	IS_STR(container_rdn(CONT_ROOTCA), "CN=Certification Authorities", "container RDN");
}

static void
test_dns(void)
{
	char *dn;

	dn = store_object_dn(PKS, CONT_AIA, "adpki Sample Root CA");
	IS_STR(dn, "CN=adpki Sample Root CA,CN=AIA," PKS, "object DN in AIA");
	free(dn);
	dn = store_object_dn(PKS, CONT_NTAUTH, "ignored");
	IS_STR(dn, "CN=NTAuthCertificates," PKS, "NTAuth is one object");
	free(dn);
	dn = store_object_dn(PKS, CONT_ROOTCA, "Evil,CN=NTAuthCertificates");
	IS_STR(dn, "CN=Evil\\,CN\\=NTAuthCertificates,CN=Certification Authorities," PKS,
	       "a hostile name stays one RDN");
	IS_INT(store_classify_dn(PKS, dn), CONT_ROOTCA, "and is classified in its container");
	free(dn);
	IS_INT(store_classify_dn(PKS, "cn=x,cn=aia,cn=public key services,cn=services,"
	                              "cn=configuration,dc=samdom,dc=test"), CONT_AIA,
	       "classification ignores case (slapd lower-cases)");
	IS_INT(store_classify_dn(PKS, "CN=x,CN=AIA,CN=Public Key Services,CN=Services,"
	                              "CN=Configuration,DC=other,DC=test"), -1,
	       "another forest's DN is outside");
	IS_INT(store_classify_dn(PKS, "CN=x,CN=Certificate Templates," PKS), -1,
	       "templates are outside the six containers");
	IS_INT(store_classify_dn(PKS, "CN=x\\,CN=AIA," PKS), -1,
	       "an escaped comma is not a container boundary");
	IS_INT(store_classify_dn(PKS, "CN=ca(0),CN=host,CN=CDP," PKS), CONT_CDP, "CDP objects");
}

static void
test_ranges(void)
{
	char base[64], next[96];
	long low = 0, high = 0;

	OK(!store_parse_range("cACertificate", base, sizeof base, &low, &high), "no range option");
	OK(store_parse_range("cACertificate;range=0-1499", base, sizeof base, &low, &high),
	   "first chunk parsed");
	IS_STR(base, "cACertificate", "base attribute");
	IS_INT(low, 0, "low");
	IS_INT(high, 1499, "high");
	OK(store_next_range(base, high, 1500, next, sizeof next), "more to read");
	IS_STR(next, "cACertificate;range=1500-*", "next request");
	OK(store_parse_range("CACERTIFICATE;Range=1500-*", base, sizeof base, &low, &high),
	   "last chunk parsed, option in any case");
	IS_INT(high, -1, "star means last");
	OK(!store_next_range(base, high, 700, next, sizeof next), "complete after the last chunk");
	OK(!store_next_range("cACertificate", 2999, 0, next, sizeof next),
	   "a chunk with no values cannot loop forever");
	OK(!store_parse_range("cACertificate;range=10-5", base, sizeof base, &low, &high),
	   "high below low refused");
	OK(!store_parse_range("cACertificate;range=x-5", base, sizeof base, &low, &high),
	   "garbage refused");
	OK(!store_parse_range("cACertificate;range=0-1499junk", base, sizeof base, &low, &high),
	   "trailing junk refused");
	OK(!store_parse_range("averyveryveryverylongattributenamethatdoesnotfit;range=0-1", base, 16,
	                      &low, &high), "base longer than the buffer refused");
	/* 4,000 values in chunks of 1,500: the requests a client must make. */
	{
		long h = 1499;
		int requests = 0;
		while (store_next_range("cACertificate", h, 1500, next, sizeof next)) {
			requests++;
			h = (h + 1500 >= 3999) ? -1 : h + 1500;
		}
		IS_INT(requests, 2, "4,000 values take two follow-up requests");
	}
}

/* A snapshot built by hand (as store.c builds them) with n objects in AIA
 * named "CA 0" .. "CA n-1". */
static snapshot *
many_objects(size_t n)
{
	snapshot *s = calloc(1, sizeof *s);
	size_t i;

	s->pks_dn = strdup(PKS);
	s->mask = CONT_MASK_ALL;
	s->objects = calloc(n + 1, sizeof *s->objects);
	for (i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof name, "CA %zu", i);
		s->objects[i].container = CONT_AIA;
		s->objects[i].name = strdup(name);
		s->objects[i].dn = store_object_dn(PKS, CONT_AIA, name);
	}
	s->object_count = n;
	return s;
}

static void
test_lookup(void)
{
	snapshot *s = many_objects(3000);
	const store_object *o;

	o = snapshot_find(s, "CN=CA 1234,CN=AIA," PKS);
	OK(o != NULL && strcmp(o->name, "CA 1234") == 0, "find by DN among 3,000 (hash tables)");
	o = snapshot_find(s, "cn=ca 2999,cn=aia,cn=public key services,cn=services,"
	                     "cn=configuration,dc=samdom,dc=test");
	OK(o != NULL && strcmp(o->name, "CA 2999") == 0, "find by DN in another case");
	o = snapshot_find(s, "CN = CA 7 , CN=AIA," PKS);
	OK(o != NULL && strcmp(o->name, "CA 7") == 0, "find by DN spelled with spaces (parsed)");
	o = snapshot_find(s, "CN=CA\\20 7,CN=AIA," PKS);
	OK(o == NULL, "an escape that changes the value is another DN");
	OK(snapshot_find(s, "CN=CA 3000,CN=AIA," PKS) == NULL, "absent DN: NULL");
	OK(snapshot_find(s, "CN=CA 5,CN=KRA," PKS) == NULL, "same name in another container: NULL");
	OK(snapshot_find(s, "not a DN") == NULL, "unparsable DN: NULL");
	o = snapshot_find_name(s, CONT_AIA, "ca 42");
	OK(o != NULL && strcmp(o->name, "CA 42") == 0, "find by name, any case");
	OK(snapshot_find_name(s, CONT_ROOTCA, "CA 42") == NULL, "find by name: container matters");
	OK(snapshot_find_name(s, CONT_NTAUTH, "x") == NULL, "no NTAuth object: NULL");
	/* Objects added after the first lookup are found too (tables rebuilt). */
	s->objects = realloc(s->objects, (s->object_count + 1) * sizeof *s->objects);
	memset(&s->objects[s->object_count], 0, sizeof *s->objects);
	s->objects[s->object_count].container = CONT_NTAUTH;
	s->objects[s->object_count].is_container_root = true;
	s->objects[s->object_count].name = strdup("NTAuthCertificates");
	s->objects[s->object_count].dn = store_object_dn(PKS, CONT_NTAUTH, NULL);
	s->object_count++;
	o = snapshot_find_name(s, CONT_NTAUTH, "whatever");
	OK(o != NULL && o->container == CONT_NTAUTH, "NTAuth found by container, added late");
	OK(snapshot_find(s, "CN=NTAuthCertificates," PKS) == o, "and by DN");
	snapshot_free(s);
}

/* Values are decoded on first use, briefly or fully, and forgotten. */
static void
test_lazy_values(void)
{
	snapshot *s = many_objects(1);
	store_object *o = &s->objects[0];
	cert_list l = { NULL, 0 };
	adpki_error err;
	const char *dir = getenv("SAMPLES");
	char path[4096];
	const cert *c;

	snprintf(path, sizeof path, "%s/sample-root-ca.cer", dir != NULL ? dir : "samples");
	if (!OK(cert_load_file(path, &l, &err) == ADPKI_OK && l.count == 1, "load the sample root")) {
		snapshot_free(s);
		return;
	}
	o->values = calloc(2, sizeof *o->values);
	o->values[0].attribute = "cACertificate";
	o->values[0].bytes = malloc(l.items[0]->der_len);
	memcpy(o->values[0].bytes, l.items[0]->der, l.items[0]->der_len);
	o->values[0].len = l.items[0]->der_len;
	o->values[1].attribute = "cACertificate";
	o->values[1].bytes = (unsigned char *)strdup("junk");
	o->values[1].len = 4;
	o->value_count = 2;

	OK(o->values[0].cert == NULL && !o->values[0].decoded, "nothing decoded before use");
	c = store_value_cert_brief(o, &o->values[0]);
	OK(c != NULL && strcmp(c->sha1, l.items[0]->sha1) == 0 && !c->self_signed_checked,
	   "brief decode: facts without the self-signature");
	c = store_value_cert(o, &o->values[0]);
	OK(c != NULL && c->self_signed_checked && c->self_signed,
	   "full decode after a brief one: self-signed checked");
	OK(store_value_cert_brief(o, &o->values[0]) == c, "a brief use keeps the full decode");
	OK(store_value_error(o, &o->values[0]) == NULL, "no error for a certificate");
	store_value_forget(&o->values[0]);
	OK(o->values[0].cert == NULL && !o->values[0].decoded, "forgotten");
	c = store_value_cert(o, &o->values[0]);
	OK(c != NULL && c->self_signed, "decoded again after forgetting");
	OK(store_value_cert(o, &o->values[1]) == NULL, "junk: no certificate");
	OK(store_value_crl(o, &o->values[1]) == NULL, "junk: no CRL");
	OK(store_value_error(o, &o->values[1]) != NULL &&
	   strstr(store_value_error(o, &o->values[1]), "CN=CA 0,CN=AIA") != NULL,
	   "junk: the reason names the object");
	store_value_forget(&o->values[1]);
	OK(o->values[1].decoded && store_value_error(o, &o->values[1]) != NULL,
	   "the reason is kept after forgetting");
	cert_list_clear(&l);
	snapshot_free(s);
}

int
main(void)
{
	test_containers();
	test_dns();
	test_ranges();
	test_lookup();
	test_lazy_values();
	return tap_done();
}
