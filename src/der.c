/* der.c - checking DER framing before GnuTLS sees the bytes: exact outer
 * lengths (no trailing data, no BER long forms), and naming what a blob is
 * when it is not a certificate (a key, a CRL, a PKCS#7, a request). */
#include "config.h"
#include "cert.h"
#include "cert-internal.h"

#include <stdint.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>

/* Reads the tag and length at der[0..len).  On success *hdr is the header
 * size and *body the content length; the caller checks *hdr + *body against
 * what it has.  Only definite lengths of up to 4 length bytes are accepted
 * (DER forbids indefinite lengths, and nothing adpki reads is >= 4 GiB), so
 * absurd length fields cannot overflow. */
int
der_header(const unsigned char *der, size_t len, unsigned char *tag,
           size_t *hdr, size_t *body)
{
	size_t n, i, value = 0;

	if (len < 2)
		return -1;
	*tag = der[0];
	if ((der[0] & 0x1f) == 0x1f)
		return -1;  /* high tag numbers: never used by what we read */
	if (der[1] < 0x80) {
		*hdr = 2;
		*body = der[1];
		return 0;
	}
	n = der[1] & 0x7f;
	if (n == 0 || n > 4 || len < 2 + n)
		return -1;
	/* DER lengths are minimal: no leading zero byte, and the long form
	 * only from 128 on.  A BER encoding would be stored as given and get
	 * a thumbprint no Windows tool shows for the same certificate. */
	if (der[2] == 0 || (n == 1 && der[2] < 0x80))
		return -1;
	for (i = 0; i < n; i++)
		value = (value << 8) | der[2 + i];
	*hdr = 2 + n;
	*body = value;
	return 0;
}

/* Checks that der[0..len) is exactly one SEQUENCE; describes the problem
 * in err otherwise ("truncated or malformed DER", "N bytes of trailing
 * data after the <what>"). */
adpki_result
der_exact(const unsigned char *der, size_t len, const char *what, adpki_error *err)
{
	unsigned char tag;
	size_t hdr, body;

	if (der_header(der, len, &tag, &hdr, &body) < 0 || tag != 0x30)
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "truncated or malformed DER (no valid outer SEQUENCE header)");
	if (body > len - hdr)
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "truncated or malformed DER (the %s claims %zu bytes, only %zu present)",
		                  what, hdr + body, len);
	if (hdr + body < len)
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "%zu bytes of trailing data after the %s", len - (hdr + body), what);
	return ADPKI_OK;
}

/* OID 1.2.840.113549.1.7.2 (PKCS#7 signedData), DER-encoded with its header. */
static const unsigned char oid_signed_data[] = {
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
};

/* A PKCS#7 ContentInfo is a SEQUENCE starting with an OID; a certificate,
 * CRL or key starts with a SEQUENCE or INTEGER instead.  Returns the
 * offset of that OID, or 0 when der is not a ContentInfo. */
size_t
der_content_info_oid(const unsigned char *der, size_t len)
{
	unsigned char tag;
	size_t hdr, body;

	if (der_header(der, len, &tag, &hdr, &body) < 0 || tag != 0x30 || hdr >= len)
		return 0;
	return der[hdr] == 0x06 ? hdr : 0;
}

bool
der_is_signed_data(const unsigned char *der, size_t len)
{
	size_t at = der_content_info_oid(der, len);

	return at != 0 && len - at >= sizeof oid_signed_data &&
	       memcmp(der + at, oid_signed_data, sizeof oid_signed_data) == 0;
}

/* Names what a DER blob is when it is not a certificate, for the message;
 * NULL when it is nothing recognizable. */
const char *
der_describe(const unsigned char *der, size_t len)
{
	gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
	const char *what = NULL;
	gnutls_x509_crl_t crl;
	gnutls_x509_privkey_t key;
	gnutls_x509_crq_t crq;
	gnutls_pkcs12_t p12;

	if (len > UINT32_MAX)
		return what;
	if (gnutls_x509_crl_init(&crl) == 0) {
		if (gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_DER) == 0)
			what = "a CRL, not a certificate";
		gnutls_x509_crl_deinit(crl);
	}
	if (gnutls_x509_privkey_init(&key) == 0) {
		if (gnutls_x509_privkey_import(key, &d, GNUTLS_X509_FMT_DER) == 0 ||
		    gnutls_x509_privkey_import_pkcs8(key, &d, GNUTLS_X509_FMT_DER, NULL,
		                                     GNUTLS_PKCS_PLAIN) == 0)
			what = "a private key, not a certificate";
		gnutls_x509_privkey_deinit(key);
	}
	if (gnutls_x509_crq_init(&crq) == 0) {
		if (gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_DER) == 0)
			what = "a certificate request, not a certificate";
		gnutls_x509_crq_deinit(crq);
	}
	if (gnutls_pkcs12_init(&p12) == 0) {
		if (gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_DER, 0) == 0)
			what = "a PKCS#12 (.pfx) file, which holds private keys; export the certificate alone (.cer)";
		gnutls_pkcs12_deinit(p12);
	}
	return what;
}

