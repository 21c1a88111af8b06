/* test-store.c - the pure parts of the AD PKI model: container names, DN
 * building and classification, and ranged-retrieval bookkeeping (AD's
 * 1,500-value ranges cannot be produced by Samba or slapd, so the range
 * logic is tested here as a function of attribute descriptions). */
#include "config.h"

#include <stdlib.h>

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

int
main(void)
{
	test_containers();
	test_dns();
	test_ranges();
	return tap_done();
}
