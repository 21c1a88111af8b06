/* cert.c - reading certificates (DER, PEM, PKCS#7) and computing the facts
 * adpki shows and checks (see cert.h).
 *
 * Input is untrusted: every length is checked against the bytes present
 * before it is used, the outer DER length must match the input exactly (so
 * trailing bytes are never silently dropped), and anything in a file that
 * is not a certificate (a private key above all) makes the whole file an
 * error rather than being skipped.  Internal helpers write messages without
 * the file name; the public entry points prefix it once. */
#include "config.h"
#include "cert.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs12.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>

#include "adname.h"

/* ---- small helpers ---------------------------------------------------- */

static char *
dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

/* SHA-1 of DER as upper-case hex (certutil's "Cert Hash(sha1)"). */
static adpki_result
thumbprint(gnutls_digest_algorithm_t alg, const unsigned char *der, size_t len,
           char *out, adpki_error *err)
{
	unsigned char digest[64];
	unsigned dlen = gnutls_hash_get_len(alg);

	if (dlen == 0 || dlen > sizeof digest || gnutls_hash_fast(alg, der, len, digest) < 0)
		return adpki_fail(err, ADPKI_ERR_UNEXPECTED, "cannot compute %s thumbprint",
		                  gnutls_digest_get_name(alg));
	text_hex_upper(digest, dlen, out);
	return ADPKI_OK;
}

/* ---- DER framing ------------------------------------------------------ */

/* Reads the tag and length at der[0..len).  On success *hdr is the header
 * size and *body the content length; the caller checks *hdr + *body against
 * what it has.  Only definite lengths of up to 4 length bytes are accepted
 * (DER forbids indefinite lengths, and nothing adpki reads is >= 4 GiB), so
 * absurd length fields cannot overflow. */
static int
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
static adpki_result
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
static size_t
der_content_info_oid(const unsigned char *der, size_t len)
{
	unsigned char tag;
	size_t hdr, body;

	if (der_header(der, len, &tag, &hdr, &body) < 0 || tag != 0x30 || hdr >= len)
		return 0;
	return der[hdr] == 0x06 ? hdr : 0;
}

static bool
der_is_signed_data(const unsigned char *der, size_t len)
{
	size_t at = der_content_info_oid(der, len);

	return at != 0 && len - at >= sizeof oid_signed_data &&
	       memcmp(der + at, oid_signed_data, sizeof oid_signed_data) == 0;
}

/* Names what a DER blob is when it is not a certificate, for the message;
 * NULL when it is nothing recognizable. */
static const char *
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

/* ---- facts ------------------------------------------------------------ */

/* gnutls_datum_t (gnutls-allocated) -> malloc'd NUL-terminated string.
 * A DN with an embedded NUL is refused: it would display differently from
 * what it is. */
static adpki_result
datum_to_str(gnutls_datum_t *d, const char *what, char **out, adpki_error *err)
{
	char *s;

	if (d->size > 0 && memchr(d->data, '\0', d->size) != NULL) {
		gnutls_free(d->data);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "the %s contains a NUL byte", what);
	}
	s = malloc((size_t)d->size + 1);
	if (s == NULL) {
		gnutls_free(d->data);
		return adpki_fail_oom(err);
	}
	if (d->size > 0)
		memcpy(s, d->data, d->size);
	s[d->size] = '\0';
	gnutls_free(d->data);
	*out = s;
	return ADPKI_OK;
}

static adpki_result
get_dn(gnutls_x509_crt_t crt, bool issuer, char **out, adpki_error *err)
{
	gnutls_datum_t d = { NULL, 0 };
	const char *what = issuer ? "issuer name" : "subject name";
	int rc;

	rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0)
	            : gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {  /* empty Name */
		*out = dup_str("");
		return *out != NULL ? ADPKI_OK : adpki_fail_oom(err);
	}
	if (rc < 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "cannot decode the %s (%s)",
		                  what, gnutls_strerror(rc));
	return datum_to_str(&d, what, out, err);
}

/* Appends code point cp as UTF-8 to out (room checked by the caller:
 * 4 bytes per input unit at most). */
static size_t
put_utf8(unsigned long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}


/* Decodes one DER-encoded directory string (the value of a CN) to UTF-8.
 * Refuses NUL characters and invalid encodings instead of repairing them:
 * the CN becomes the CA's object name in AD. */
static adpki_result
decode_dir_string(const unsigned char *der, size_t len, char **out, adpki_error *err)
{
	unsigned char tag;
	size_t hdr, body, i, n = 0, unit;
	const unsigned char *v;
	char *s;

	if (der_header(der, len, &tag, &hdr, &body) < 0 || body != len - hdr)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "the subject CN is malformed");
	v = der + hdr;
	unit = tag == 0x1e ? 2 : tag == 0x1c ? 4 : 1;
	if (body % unit != 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "the subject CN is malformed");
	s = malloc(body / unit * 4 + 1);
	if (s == NULL)
		return adpki_fail_oom(err);
	for (i = 0; i < body; i += unit) {
		unsigned long cp;
		uint32_t cp32;
		size_t k;

		switch (tag) {
		case 0x0c:  /* UTF8String */
			k = text_utf8_len(v + i, body - i, &cp32);
			if (k == 0)
				goto bad;
			memcpy(s + n, v + i, k);
			n += k;
			if (v[i] == 0)
				goto bad;
			i += k - 1;
			continue;
		case 0x13: case 0x16: case 0x1a:  /* Printable, IA5, Visible */
			cp = v[i];
			if (cp >= 0x80)
				goto bad;
			break;
		case 0x14:  /* TeletexString: read as Latin-1, as Windows does */
			cp = v[i];
			break;
		case 0x1e:  /* BMPString: UTF-16BE in practice */
			cp = ((unsigned long)v[i] << 8) | v[i + 1];
			if (cp >= 0xd800 && cp <= 0xdbff && i + 3 < body) {
				unsigned long lo = ((unsigned long)v[i + 2] << 8) | v[i + 3];

				if (lo < 0xdc00 || lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				goto bad;
			}
			break;
		case 0x1c:  /* UniversalString: UCS-4BE */
			cp = ((unsigned long)v[i] << 24) | ((unsigned long)v[i + 1] << 16) |
			     ((unsigned long)v[i + 2] << 8) | v[i + 3];
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				goto bad;
			break;
		default:
			free(s);
			return adpki_fail(err, ADPKI_ERR_CONFIG,
			                  "the subject CN has an unsupported string type (tag 0x%02x)", tag);
		}
		if (cp == 0)
			goto bad;
		n += put_utf8(cp, s + n);
	}
	s[n] = '\0';
	*out = s;
	return ADPKI_OK;
bad:
	free(s);
	return adpki_fail(err, ADPKI_ERR_CONFIG,
	                  "the subject CN is not valid text (a NUL character or a bad encoding)");
}

/* First CN of the subject as UTF-8, exactly as encoded (GnuTLS's text form
 * applies RFC 4514 escaping, e.g. "\#", which must not reach the AD object
 * name); *out stays NULL when there is none.  A CN with an embedded NUL or
 * an invalid encoding is an error, never truncated or repaired: the CN
 * names the CA's object in AD, and "Good\0Evil" must not become "Good". */
static adpki_result
get_common_name(gnutls_x509_crt_t crt, char **out, adpki_error *err)
{
	unsigned char raw[4096];  /* X.520 bounds a CN at 64 characters */
	size_t size = sizeof raw;
	int rc;

	*out = NULL;
	rc = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 1, raw, &size);
	if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return ADPKI_OK;
	if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "the subject CN is longer than %zu bytes",
		                  sizeof raw);
	if (rc < 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "cannot decode the subject CN (%s)",
		                  gnutls_strerror(rc));
	return decode_dir_string(raw, size, out, err);
}

static adpki_result
get_serial(gnutls_x509_crt_t crt, char **out, adpki_error *err)
{
	unsigned char raw[64];  /* RFC 5280 allows 20 octets; be generous */
	size_t size = sizeof raw;
	int rc;

	rc = gnutls_x509_crt_get_serial(crt, raw, &size);
	if (rc < 0 || size == 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "cannot read the serial number (%s)",
		                  rc < 0 ? gnutls_strerror(rc) : "empty");
	*out = malloc(2 * size + 1);
	if (*out == NULL)
		return adpki_fail_oom(err);
	text_hex_upper(raw, size, *out);
	return ADPKI_OK;
}

static adpki_result
get_key(gnutls_x509_crt_t crt, cert *c, adpki_error *err)
{
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	char type[160];

	c->key_bits = bits;
	switch (pk) {
	case GNUTLS_PK_RSA:
		c->key_kind = CERT_KEY_RSA;
		snprintf(type, sizeof type, "RSA");
		break;
	case GNUTLS_PK_RSA_PSS:
		c->key_kind = CERT_KEY_RSA;
		snprintf(type, sizeof type, "RSA-PSS");
		break;
	case GNUTLS_PK_ECDSA: {
		gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
		gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
		const char *name = NULL;
		char lower[64];
		size_t i;

		c->key_kind = CERT_KEY_EC;
		if (gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, &x, &y) == 0) {
			gnutls_free(x.data);
			gnutls_free(y.data);
			name = gnutls_ecc_curve_get_name(curve);
		}
		/* GnuTLS says "SECP256R1"; RFC 5480 and OpenSSL say "secp256r1". */
		snprintf(lower, sizeof lower, "%s", name != NULL ? name : "unknown curve");
		for (i = 0; lower[i] != '\0'; i++)
			if (lower[i] >= 'A' && lower[i] <= 'Z')
				lower[i] = (char)(lower[i] - 'A' + 'a');
		snprintf(type, sizeof type, "EC/ECDSA (%s)", lower);
		break;
	}
	default: {
		const char *name = pk > 0 ? gnutls_pk_get_name((gnutls_pk_algorithm_t)pk) : NULL;

		c->key_kind = CERT_KEY_OTHER;
		if (name == NULL) {
			char oid[128];
			size_t size = sizeof oid;

			if (gnutls_x509_crt_get_pk_oid(crt, oid, &size) == 0)
				snprintf(type, sizeof type, "unknown (%s)", oid);
			else
				snprintf(type, sizeof type, "unknown");
		} else {
			snprintf(type, sizeof type, "%s", name);
		}
	}
	}
	c->key_type = dup_str(type);
	return c->key_type != NULL ? ADPKI_OK : adpki_fail_oom(err);
}

static adpki_result
get_signature(gnutls_x509_crt_t crt, cert *c, adpki_error *err)
{
	int sig = gnutls_x509_crt_get_signature_algorithm(crt);
	const char *name = sig > 0 ? gnutls_sign_get_name((gnutls_sign_algorithm_t)sig) : NULL;

	if (name != NULL) {
		gnutls_digest_algorithm_t hash =
			gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sig);

		c->sig_alg = dup_str(name);
		c->sig_is_pss = gnutls_sign_get_pk_algorithm((gnutls_sign_algorithm_t)sig) ==
		                GNUTLS_PK_RSA_PSS;
		c->sig_is_sha1 = hash == GNUTLS_DIG_SHA1 || hash == GNUTLS_DIG_MD5 ||
		                 hash == GNUTLS_DIG_MD2;
	} else {
		/* Unknown to GnuTLS: show the OID rather than failing. */
		char oid[128];
		size_t size = sizeof oid;

		if (gnutls_x509_crt_get_signature_oid(crt, oid, &size) < 0)
			snprintf(oid, sizeof oid, "unknown");
		c->sig_alg = dup_str(oid);
	}
	return c->sig_alg != NULL ? ADPKI_OK : adpki_fail_oom(err);
}

/* Self-signed: the issuer is the subject (GnuTLS compares the names and,
 * when present, the key identifiers) AND the signature verifies with the
 * certificate's own key.  DO_NOT_ALLOW_SAME stops GnuTLS from accepting the
 * certificate merely because it is in the trusted list (itself); the other
 * flags keep the answer about the signature alone, not about dates, CA-ness
 * or algorithm policy (an old SHA-1 root is still self-signed). */
static bool
is_self_signed(gnutls_x509_crt_t crt)
{
	unsigned status = 0;
	unsigned flags = GNUTLS_VERIFY_DO_NOT_ALLOW_SAME |
	                 GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	                 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	                 GNUTLS_VERIFY_DISABLE_CA_SIGN |
	                 GNUTLS_VERIFY_ALLOW_ANY_X509_V1_CA_CRT |
	                 GNUTLS_VERIFY_ALLOW_BROKEN;

	if (gnutls_x509_crt_check_issuer(crt, crt) != 1)
		return false;
	if (gnutls_x509_crt_verify(crt, &crt, 1, flags, &status) < 0)
		return false;
	return status == 0;
}

/* The source of the AD object name: the first CN; with no CN, the whole
 * subject (RFC 4514 string); with an empty subject, the SHA-1 thumbprint. */
static const char *
name_source(const cert *c)
{
	if (c->common_name != NULL && c->common_name[0] != '\0')
		return c->common_name;
	if (c->subject[0] != '\0')
		return c->subject;
	return c->sha1;
}

static adpki_result
fill_facts(gnutls_x509_crt_t crt, cert *c, adpki_error *err)
{
	adpki_result r;
	unsigned critical = 0, ca = 0;
	int pathlen = -1;

	if ((r = get_dn(crt, false, &c->subject, err)) != ADPKI_OK ||
	    (r = get_dn(crt, true, &c->issuer, err)) != ADPKI_OK ||
	    (r = get_common_name(crt, &c->common_name, err)) != ADPKI_OK ||
	    (r = get_serial(crt, &c->serial, err)) != ADPKI_OK ||
	    (r = thumbprint(GNUTLS_DIG_SHA1, c->der, c->der_len, c->sha1, err)) != ADPKI_OK ||
	    (r = thumbprint(GNUTLS_DIG_SHA256, c->der, c->der_len, c->sha256, err)) != ADPKI_OK ||
	    (r = get_key(crt, c, err)) != ADPKI_OK ||
	    (r = get_signature(crt, c, err)) != ADPKI_OK)
		return r;

	c->not_before = gnutls_x509_crt_get_activation_time(crt);
	c->not_after = gnutls_x509_crt_get_expiration_time(crt);
	if (c->not_before == (time_t)-1 || c->not_after == (time_t)-1)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "cannot read the validity dates");

	/* Absent basicConstraints (e.g. v1 certificates) means not a CA. */
	c->is_ca = gnutls_x509_crt_get_basic_constraints(crt, &critical, &ca, &pathlen) >= 0 &&
	           ca != 0;
	c->self_signed = is_self_signed(crt);

	c->ad_name = adname_short_name(name_source(c));
	if (c->ad_name == NULL)
		return adpki_fail_oom(err);
	return ADPKI_OK;
}

/* Decodes one DER certificate; message without the source prefix. */
static adpki_result
decode_cert(const unsigned char *der, size_t len, const char *source, cert **out,
            adpki_error *err)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	adpki_result r;
	cert *c;
	int rc;

	*out = NULL;
	if (len == 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "empty certificate");
	if (len > UINT32_MAX)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "certificate too large");
	if ((r = der_exact(der, len, "certificate", err)) != ADPKI_OK)
		return r;
	if (gnutls_x509_crt_init(&crt) < 0)
		return adpki_fail_oom(err);
	d.data = (unsigned char *)der;
	d.size = (unsigned)len;
	rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		const char *what = der_describe(der, len);

		gnutls_x509_crt_deinit(crt);
		if (what != NULL)
			return adpki_fail(err, ADPKI_ERR_CONFIG, "not a certificate: %s", what);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "truncated or malformed DER (%s)",
		                  gnutls_strerror(rc));
	}

	c = calloc(1, sizeof *c);
	if (c == NULL || (c->der = malloc(len)) == NULL ||
	    (c->source = dup_str(source)) == NULL) {
		gnutls_x509_crt_deinit(crt);
		cert_free(c);
		return adpki_fail_oom(err);
	}
	memcpy(c->der, der, len);
	c->der_len = len;
	r = fill_facts(crt, c, err);
	gnutls_x509_crt_deinit(crt);
	if (r != ADPKI_OK) {
		cert_free(c);
		return r;
	}
	*out = c;
	return ADPKI_OK;
}

adpki_result
cert_from_der(const unsigned char *der, size_t len, const char *source, cert **out,
              adpki_error *err)
{
	adpki_result r = decode_cert(der, len, source, out, err);

	if (r != ADPKI_OK)
		adpki_fail_context(err, "%s", source);
	return r;
}

/* ---- lists ------------------------------------------------------------ */

adpki_result
cert_list_append(cert_list *list, cert *c, adpki_error *err)
{
	cert **items;

	/* Exact size, no hidden capacity: any code that builds a cert_list
	 * (items from malloc, count) can append to it.  Lists are short. */
	if (list->count >= SIZE_MAX / sizeof *items - 1)
		return adpki_fail_oom(err);
	items = realloc(list->items, (list->count + 1) * sizeof *items);
	if (items == NULL)
		return adpki_fail_oom(err);
	list->items = items;
	list->items[list->count++] = c;
	return ADPKI_OK;
}

void
cert_free(cert *c)
{
	if (c == NULL)
		return;
	free(c->der);
	free(c->subject);
	free(c->issuer);
	free(c->common_name);
	free(c->serial);
	free(c->key_type);
	free(c->sig_alg);
	free(c->ad_name);
	free(c->source);
	free(c);
}

void
cert_list_clear(cert_list *list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < list->count; i++)
		cert_free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/* ---- PKCS#7 ----------------------------------------------------------- */

/* All certificates of a DER PKCS#7 signedData ("certs-only" chain export).
 * CRLs a .p7b may also carry are not certificates and are ignored; a
 * PKCS#7 without any certificate is an error. */
static adpki_result
decode_pkcs7(const unsigned char *der, size_t len, const char *where, cert_list *out,
             adpki_error *err)
{
	gnutls_pkcs7_t p7;
	gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
	adpki_result r;
	int rc, count, i;

	if ((r = der_exact(der, len, "PKCS#7 structure", err)) != ADPKI_OK)
		return adpki_fail_context(err, "%s", where);
	if (!der_is_signed_data(der, len))
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "%s: not a PKCS#7 signedData (certificate chain) structure", where);
	if (gnutls_pkcs7_init(&p7) < 0)
		return adpki_fail_oom(err);
	rc = gnutls_pkcs7_import(p7, &d, GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		gnutls_pkcs7_deinit(p7);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: truncated or malformed PKCS#7 (%s)",
		                  where, gnutls_strerror(rc));
	}
	count = gnutls_pkcs7_get_crt_count(p7);
	if (count <= 0) {
		gnutls_pkcs7_deinit(p7);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s contains no certificates", where);
	}
	for (i = 0; i < count; i++) {
		gnutls_datum_t crt = { NULL, 0 };
		cert *c = NULL;

		rc = gnutls_pkcs7_get_crt_raw2(p7, (unsigned)i, &crt);
		if (rc < 0) {
			gnutls_pkcs7_deinit(p7);
			return adpki_fail(err, ADPKI_ERR_CONFIG,
			                  "%s: cannot read certificate %d of the PKCS#7 (%s)",
			                  where, i + 1, gnutls_strerror(rc));
		}
		r = decode_cert(crt.data, crt.size, "", &c, err);
		gnutls_free(crt.data);
		if (r == ADPKI_OK && (r = cert_list_append(out, c, err)) != ADPKI_OK)
			cert_free(c);
		if (r != ADPKI_OK) {
			gnutls_pkcs7_deinit(p7);
			return adpki_fail_context(err, "%s: certificate %d of the PKCS#7", where, i + 1);
		}
	}
	gnutls_pkcs7_deinit(p7);
	return ADPKI_OK;
}

/* ---- PEM -------------------------------------------------------------- */

static int
b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

static bool
is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v';
}

/* Strict base64 of a PEM body: whitespace (any line length, LF or CRLF)
 * is skipped, "=" only as final padding, nothing else allowed.  *out is
 * malloc'd. */
static adpki_result
b64_decode(const unsigned char *in, size_t len, unsigned char **out, size_t *out_len,
           adpki_error *err)
{
	unsigned char *buf = malloc(len / 4 * 3 + 3);
	size_t i, n = 0, quad = 0, pad = 0;
	unsigned acc = 0;

	if (buf == NULL)
		return adpki_fail_oom(err);
	for (i = 0; i < len; i++) {
		int v;

		if (is_space(in[i]))
			continue;
		if (in[i] == '=') {
			pad++;
			v = 0;
		} else {
			v = b64_value(in[i]);
			if (v < 0 || pad > 0) {
				free(buf);
				if (v < 0)
					return adpki_fail(err, ADPKI_ERR_CONFIG,
					                  "bad base64 (invalid character 0x%02x)", in[i]);
				return adpki_fail(err, ADPKI_ERR_CONFIG,
				                  "bad base64 (data after '=' padding)");
			}
		}
		if (pad > 2) {
			free(buf);
			return adpki_fail(err, ADPKI_ERR_CONFIG, "bad base64 (too much padding)");
		}
		acc = (acc << 6) | (unsigned)v;
		if (++quad == 4) {
			buf[n++] = (unsigned char)(acc >> 16);
			if (pad < 2)
				buf[n++] = (unsigned char)(acc >> 8);
			if (pad < 1)
				buf[n++] = (unsigned char)acc;
			quad = 0;
			acc = 0;
		}
	}
	if (quad != 0 || (pad > 0 && n == 0)) {
		free(buf);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "bad base64 (length is not a multiple of 4)");
	}
	*out = buf;
	*out_len = n;
	return ADPKI_OK;
}

static const unsigned char *
find_bytes(const unsigned char *hay, size_t hay_len, const char *needle)
{
	size_t n = strlen(needle), i;

	if (hay_len < n)
		return NULL;
	for (i = 0; i + n <= hay_len; i++)
		if (hay[i] == (unsigned char)needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* Text between PEM blocks may hold comments (RFC 7468 lets parsers ignore
 * explanatory text; curl's cacert.pem and "openssl x509 -text" output have
 * some), so printable text and whitespace there are ignored.  Control bytes
 * (binary data: a DER blob appended to a PEM file, a UTF-16 file) are an
 * error, so nothing that might be a certificate or key is silently skipped.
 * Windows exports have nothing outside their block. */
static adpki_result
check_outside_text(const unsigned char *p, size_t len, adpki_error *err)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 && !is_space(p[i]))
			return adpki_fail(err, ADPKI_ERR_CONFIG,
			                  "not a certificate: binary data outside the PEM blocks");
	return ADPKI_OK;
}

typedef enum { PEM_CERT, PEM_TRUSTED_CERT, PEM_PKCS7, PEM_OTHER } pem_kind;

/* Classifies a PEM label; *why explains refusals. */
static pem_kind
pem_label_kind(const char *label, const char **why)
{
	*why = "is not a certificate";
	if (strcmp(label, "CERTIFICATE") == 0 || strcmp(label, "X509 CERTIFICATE") == 0)
		return PEM_CERT;
	if (strcmp(label, "TRUSTED CERTIFICATE") == 0)
		return PEM_TRUSTED_CERT;
	if (strcmp(label, "PKCS7") == 0 || strcmp(label, "PKCS #7 SIGNED DATA") == 0 ||
	    strcmp(label, "CMS") == 0)
		return PEM_PKCS7;
	if (strstr(label, "PRIVATE KEY") != NULL)
		*why = "is a private key, not a certificate";
	else if (strcmp(label, "X509 CRL") == 0)
		*why = "is a CRL, not a certificate";
	else if (strstr(label, "CERTIFICATE REQUEST") != NULL)
		*why = "is a certificate request, not a certificate";
	else if (strstr(label, "PUBLIC KEY") != NULL)
		*why = "is a public key, not a certificate";
	else if (strcmp(label, "PKCS12") == 0)
		*why = "is a PKCS#12 file, which holds private keys";
	return PEM_OTHER;
}

/* One decoded PEM block: certificates go to out. */
static adpki_result
pem_block(pem_kind kind, const unsigned char *der, size_t len, const char *where,
          cert_list *out, adpki_error *err)
{
	cert *c = NULL;
	adpki_result r;

	if (len == 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s is empty", where);
	if (kind == PEM_PKCS7)
		return decode_pkcs7(der, len, where, out, err);
	if (kind == PEM_TRUSTED_CERT) {
		/* OpenSSL's form: certificate DER followed by its trust settings
		 * (one more SEQUENCE).  adpki takes the certificate; the local
		 * OpenSSL trust settings have no meaning in AD. */
		unsigned char tag;
		size_t hdr, body;

		if (der_header(der, len, &tag, &hdr, &body) == 0 && body <= len - hdr &&
		    hdr + body < len && der_exact(der + hdr + body, len - hdr - body,
		                                  "trust settings", err) == ADPKI_OK)
			len = hdr + body;
	}
	r = decode_cert(der, len, "", &c, err);
	if (r == ADPKI_OK && (r = cert_list_append(out, c, err)) != ADPKI_OK)
		cert_free(c);
	if (r != ADPKI_OK)
		return adpki_fail_context(err, "%s", where);
	return ADPKI_OK;
}

#define PEM_LABEL_MAX 64

/* Decodes every PEM block of data into out. */
static adpki_result
decode_pem(const unsigned char *data, size_t len, cert_list *out, adpki_error *err)
{
	const unsigned char *p = data, *end = data + len;
	unsigned block = 0;
	adpki_result r;

	for (;;) {
		const unsigned char *begin = find_bytes(p, (size_t)(end - p), "-----BEGIN ");
		const unsigned char *lab, *lab_end, *body, *stop, *after;
		char label[PEM_LABEL_MAX + 1], endline[PEM_LABEL_MAX + 16], where[PEM_LABEL_MAX + 48];
		unsigned char *der = NULL;
		size_t der_len = 0;
		const char *why;
		pem_kind kind;

		if ((r = check_outside_text(p, begin != NULL ? (size_t)(begin - p)
		                                             : (size_t)(end - p), err)) != ADPKI_OK)
			return r;
		if (begin == NULL)
			break;
		block++;
		lab = begin + strlen("-----BEGIN ");
		lab_end = find_bytes(lab, (size_t)(end - lab), "-----");
		if (lab_end == NULL || lab_end - lab > PEM_LABEL_MAX ||
		    memchr(lab, '\n', (size_t)(lab_end - lab)) != NULL)
			return adpki_fail(err, ADPKI_ERR_CONFIG,
			                  "PEM block %u: malformed BEGIN line", block);
		memcpy(label, lab, (size_t)(lab_end - lab));
		label[lab_end - lab] = '\0';
		snprintf(where, sizeof where, "PEM block %u ('%s')", block, label);
		kind = pem_label_kind(label, &why);
		if (kind == PEM_OTHER)
			return adpki_fail(err, ADPKI_ERR_CONFIG, "not a certificate: PEM block '%s' %s",
			                  label, why);

		body = lab_end + 5;
		snprintf(endline, sizeof endline, "-----END %s-----", label);
		stop = find_bytes(body, (size_t)(end - body), "-----END ");
		if (stop == NULL)
			return adpki_fail(err, ADPKI_ERR_CONFIG, "%s has no END line", where);
		if ((size_t)(end - stop) < strlen(endline) ||
		    memcmp(stop, endline, strlen(endline)) != 0)
			return adpki_fail(err, ADPKI_ERR_CONFIG, "%s does not end with '%s'",
			                  where, endline);
		if (find_bytes(body, (size_t)(stop - body), "-----") != NULL)
			return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: unexpected '-----' inside", where);
		after = stop + strlen(endline);

		if (b64_decode(body, (size_t)(stop - body), &der, &der_len, err) != ADPKI_OK)
			return adpki_fail_context(err, "%s", where);
		r = pem_block(kind, der, der_len, where, out, err);
		free(der);
		if (r != ADPKI_OK)
			return r;
		p = after;
	}
	if (block == 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "not a certificate: no PEM block found");
	return ADPKI_OK;
}

/* ---- entry points ----------------------------------------------------- */

static bool
only_whitespace(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_space(p[i]))
			return false;
	return true;
}

static adpki_result
decode_buffer(const unsigned char *data, size_t len, cert_list *out, adpki_error *err)
{
	cert *c = NULL;
	adpki_result r;

	if (len == 0 || only_whitespace(data, len))
		return adpki_fail(err, ADPKI_ERR_CONFIG, "empty file");
	if (len >= 2 && ((data[0] == 0xff && data[1] == 0xfe) || (data[0] == 0xfe && data[1] == 0xff)))
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "not a certificate: UTF-16 text; save it as ASCII (Base-64 .cer) or DER");
	/* DER starts with a SEQUENCE; every certificate is over 127 bytes, so
	 * its length byte has the high bit set, which no ASCII text has (a PEM
	 * file whose comment starts with "0" stays PEM). */
	if (data[0] == 0x30 && (len < 2 || (data[1] & 0x80) != 0 ||
	                        find_bytes(data, len, "-----BEGIN ") == NULL)) {
		if (der_content_info_oid(data, len) != 0)
			return decode_pkcs7(data, len, "PKCS#7", out, err);
		r = decode_cert(data, len, "", &c, err);
		if (r == ADPKI_OK && (r = cert_list_append(out, c, err)) != ADPKI_OK)
			cert_free(c);
		return r;
	}
	if (find_bytes(data, len, "-----BEGIN ") != NULL)
		return decode_pem(data, len, out, err);
	return adpki_fail(err, ADPKI_ERR_CONFIG,
	                  "not a certificate: neither DER nor PEM (no '-----BEGIN' line)");
}

/* Names the certificates of one input: "label" for a single one,
 * "label[i]" (0-based) in a bundle. */
static adpki_result
set_sources(cert_list *tmp, const char *label, adpki_error *err)
{
	size_t i;

	for (i = 0; i < tmp->count; i++) {
		cert *c = tmp->items[i];
		size_t size = strlen(label) + 24;
		char *s = malloc(size);

		if (s == NULL)
			return adpki_fail_oom(err);
		if (tmp->count == 1)
			snprintf(s, size, "%s", label);
		else
			snprintf(s, size, "%s[%zu]", label, i);
		free(c->source);
		c->source = s;
	}
	return ADPKI_OK;
}

adpki_result
cert_load_buffer(const unsigned char *data, size_t len, const char *label, cert_list *out,
                 adpki_error *err)
{
	cert_list tmp = { NULL, 0 };
	adpki_result r;
	size_t i;

	/* Decode into a private list so that out is unchanged on error. */
	r = decode_buffer(data, len, &tmp, err);
	if (r == ADPKI_OK)
		r = set_sources(&tmp, label, err);
	if (r != ADPKI_OK) {
		cert_list_clear(&tmp);
		return adpki_fail_context(err, "%s", label);
	}
	for (i = 0; i < tmp.count; i++) {
		if ((r = cert_list_append(out, tmp.items[i], err)) != ADPKI_OK) {
			/* items[0..i) now belong to out */
			for (; i < tmp.count; i++)
				cert_free(tmp.items[i]);
			free(tmp.items);
			return r;
		}
	}
	free(tmp.items);
	return ADPKI_OK;
}

/* Reads a regular file of at most CERT_FILE_MAX bytes.  O_NONBLOCK makes
 * opening a FIFO return at once (it is then refused by fstat) instead of
 * waiting for a writer. */
static adpki_result
read_file(const char *path, unsigned char **data, size_t *len, adpki_error *err)
{
	struct stat st;
	unsigned char *buf;
	size_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: cannot stat: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: is %s, not a regular file", path,
		                  S_ISDIR(st.st_mode) ? "a directory" :
		                  S_ISFIFO(st.st_mode) ? "a FIFO" :
		                  S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" :
		                  "special");
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > CERT_FILE_MAX) {
		close(fd);
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "%s: larger than %u bytes; give certificate files only", path,
		                  CERT_FILE_MAX);
	}
	/* One spare byte detects a file that grew after fstat. */
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return adpki_fail_oom(err);
	}
	for (;;) {
		ssize_t got = read(fd, buf + n, (size_t)st.st_size + 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;

			free(buf);
			close(fd);
			return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: cannot read: %s", path, strerror(e));
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > (size_t)st.st_size) {
			free(buf);
			close(fd);
			return adpki_fail(err, ADPKI_ERR_CONFIG,
			                  "%s: the file changed while it was read; try again", path);
		}
	}
	close(fd);
	*data = buf;
	*len = n;
	return ADPKI_OK;
}

adpki_result
cert_load_file(const char *path, cert_list *out, adpki_error *err)
{
	unsigned char *data = NULL;
	size_t len = 0;
	adpki_result r;

	if ((r = read_file(path, &data, &len, err)) != ADPKI_OK)
		return r;
	r = cert_load_buffer(data, len, path, out, err);
	free(data);
	return r;
}

void
cert_format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (size == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%s", "invalid-time");
}

/* ---- CRLs ------------------------------------------------------------- */

static adpki_result
decode_crl(const unsigned char *der, size_t len, crl_info *out, adpki_error *err)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
	gnutls_datum_t dn = { NULL, 0 };
	adpki_result r;
	int rc;

	if (len == 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "empty CRL");
	if ((r = der_exact(der, len, "CRL", err)) != ADPKI_OK)
		return r;
	if (gnutls_x509_crl_init(&crl) < 0)
		return adpki_fail_oom(err);
	rc = gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		gnutls_x509_crl_deinit(crl);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "not a CRL or malformed DER (%s)",
		                  gnutls_strerror(rc));
	}
	rc = gnutls_x509_crl_get_issuer_dn3(crl, &dn, 0);
	if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		out->issuer = dup_str("");
		r = out->issuer != NULL ? ADPKI_OK : adpki_fail_oom(err);
	} else if (rc < 0) {
		r = adpki_fail(err, ADPKI_ERR_CONFIG, "cannot decode the CRL issuer (%s)",
		               gnutls_strerror(rc));
	} else {
		r = datum_to_str(&dn, "CRL issuer name", &out->issuer, err);
	}
	if (r == ADPKI_OK) {
		out->this_update = gnutls_x509_crl_get_this_update(crl);
		out->next_update = gnutls_x509_crl_get_next_update(crl);
		r = thumbprint(GNUTLS_DIG_SHA1, der, len, out->sha1, err);
	}
	gnutls_x509_crl_deinit(crl);
	return r;
}

adpki_result
crl_from_der(const unsigned char *der, size_t len, const char *source, crl_info *out,
             adpki_error *err)
{
	adpki_result r;

	memset(out, 0, sizeof *out);
	r = decode_crl(der, len, out, err);
	if (r != ADPKI_OK) {
		crl_info_clear(out);
		adpki_fail_context(err, "%s", source);
	}
	return r;
}

void
crl_info_clear(crl_info *c)
{
	if (c == NULL)
		return;
	free(c->issuer);
	memset(c, 0, sizeof *c);
}
