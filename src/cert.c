/* cert.c - one certificate's facts (subject, CN, thumbprints, key,
 * signature, CA-ness, self-signature, AD name), certificate lists, and
 * CRLs (see cert.h).  Reading files and bundles is in certload.c, DER
 * framing checks in der.c.
 *
 * Input is untrusted: the outer DER length must match the input exactly (so
 * trailing bytes are never silently dropped), and a CN that cannot be
 * decoded exactly is refused rather than truncated.  Internal helpers write
 * messages without the file name; the public entry points prefix it once. */
#include "config.h"
#include "cert.h"
#include "cert-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "adname.h"
#include "text.h"

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
fill_facts(gnutls_x509_crt_t crt, cert *c, bool check_self_signature, adpki_error *err)
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
	/* The signature check is the one costly step (a public-key
	 * operation): a brief decode leaves self_signed false and unchecked. */
	c->self_signed_checked = check_self_signature;
	c->self_signed = check_self_signature && is_self_signed(crt);

	c->ad_name = adname_short_name(name_source(c));
	if (c->ad_name == NULL)
		return adpki_fail_oom(err);
	return ADPKI_OK;
}

static adpki_result
decode_one(const unsigned char *der, size_t len, const char *source, bool check_self_signature,
           cert **out, adpki_error *err)
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
	r = fill_facts(crt, c, check_self_signature, err);
	gnutls_x509_crt_deinit(crt);
	if (r != ADPKI_OK) {
		cert_free(c);
		return r;
	}
	*out = c;
	return ADPKI_OK;
}

/* Decodes one DER certificate; message without the source prefix. */
adpki_result
cert_decode(const unsigned char *der, size_t len, const char *source, cert **out,
            adpki_error *err)
{
	return decode_one(der, len, source, true, out, err);
}

adpki_result
cert_from_der(const unsigned char *der, size_t len, const char *source, cert **out,
              adpki_error *err)
{
	adpki_result r = decode_one(der, len, source, true, out, err);

	if (r != ADPKI_OK)
		adpki_fail_context(err, "%s", source);
	return r;
}

adpki_result
cert_from_der_brief(const unsigned char *der, size_t len, const char *source, cert **out,
                    adpki_error *err)
{
	adpki_result r = decode_one(der, len, source, false, out, err);

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

