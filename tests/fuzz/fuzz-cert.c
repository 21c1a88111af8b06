/* fuzz-cert.c - libFuzzer target: certificate input in every format
 * (DER, PEM, PKCS#7 DER/PEM) through cert_load_buffer, the same bytes as
 * a directory value through cert_from_der_brief (list, prune), and as a
 * CRL through crl_from_der.  Both are fed attacker-controlled files
 * (adpki show/publish FILE) and directory values (list, CN=CDP). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every field a loaded certificate carries must be a string the renderers
 * can print: a NULL where the interface promises a string is a bug. */
static void
check_cert(const cert *c)
{
	if (c == NULL || c->der == NULL || c->der_len == 0 || c->subject == NULL ||
	    c->issuer == NULL || c->serial == NULL || c->key_type == NULL ||
	    c->sig_alg == NULL || c->ad_name == NULL || c->source == NULL ||
	    strlen(c->sha1) != 40 || strlen(c->sha256) != 64)
		abort();
	/* The AD name is what becomes an object's cn: bounded (51 + "-NNNNN"). */
	if (strlen(c->ad_name) > 57)
		abort();
	/* Dates go through gmtime: odd validity years must not break it. */
	{
		char when[32];
		cert_format_time(c->not_before, when, sizeof when);
		cert_format_time(c->not_after, when, sizeof when);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cert_list list = { NULL, 0 };
	adpki_error err;
	crl_info crl;
	size_t i;

	memset(&err, 0, sizeof err);
	if (cert_load_buffer(data, size, "fuzz", &list, &err) == ADPKI_OK) {
		if (list.count == 0)
			abort();   /* success means at least one certificate */
		for (i = 0; i < list.count; i++)
			check_cert(list.items[i]);
	} else if (err.message[0] == '\0') {
		abort();       /* every failure says why */
	}
	cert_list_clear(&list);

	{
		cert *brief = NULL;
		memset(&err, 0, sizeof err);
		if (cert_from_der_brief(data, size, "fuzz", &brief, &err) == ADPKI_OK) {
			check_cert(brief);
			if (brief->self_signed_checked)
				abort();   /* the brief decode never checks the signature */
		} else if (err.message[0] == '\0') {
			abort();
		}
		cert_free(brief);
	}

	memset(&crl, 0, sizeof crl);
	memset(&err, 0, sizeof err);
	if (crl_from_der(data, size, "fuzz", &crl, &err) == ADPKI_OK) {
		if (crl.issuer == NULL || strlen(crl.sha1) != 40)
			abort();
	} else if (err.message[0] == '\0') {
		abort();
	}
	crl_info_clear(&crl);
	return 0;
}
