/* certload.c - certificates from files and buffers: DER, PEM (one or many
 * blocks, LF or CRLF) and PKCS#7 (DER or PEM).  A file holding anything that
 * is not a certificate (a private key above all) is an error as a whole,
 * never skipped; file reads are bounded and refuse directories and FIFOs. */
#include "config.h"
#include "cert.h"
#include "cert-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>

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
		r = cert_decode(crt.data, crt.size, "", &c, err);
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
	r = cert_decode(der, len, "", &c, err);
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
		r = cert_decode(data, len, "", &c, err);
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
