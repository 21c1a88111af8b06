/* cert.h - X.509 certificates as adpki sees them: DER bytes plus facts
 * computed once at load time (GnuTLS).
 *
 * Ownership: cert_list owns its certificates; a cert owns all its strings.
 * Every string is NUL-terminated UTF-8 as GnuTLS renders it (RFC 4514 form
 * for DNs); callers must still escape them for their output format,
 * because subjects are attacker-controlled. */
#ifndef ADPKI_CERT_H
#define ADPKI_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "result.h"

/* Largest file adpki reads as certificate input.  AD's own limit for one
 * value is 32,768 bytes; a PKCS#7 chain export is a handful of those. */
#define CERT_FILE_MAX (4u * 1024u * 1024u)
/* AD's upper bound for one cACertificate value (MS-ADA1 rangeUpper). */
#define CERT_AD_VALUE_MAX 32768u

typedef enum {
	CERT_KEY_RSA,
	CERT_KEY_EC,
	CERT_KEY_OTHER,
} cert_key_kind;

typedef struct {
	unsigned char *der;
	size_t der_len;

	char *subject;      /* RFC 4514 string */
	char *issuer;       /* RFC 4514 string */
	char *common_name;  /* first CN of the subject; NULL when there is none */
	char *serial;       /* upper-case hex, no separators */
	char sha1[41];      /* upper-case hex, as certutil shows it */
	char sha256[65];    /* upper-case hex */
	time_t not_before;
	time_t not_after;

	cert_key_kind key_kind;
	char *key_type;     /* "RSA", "EC/ECDSA (secp256r1)" ... for display */
	unsigned key_bits;
	char *sig_alg;      /* "RSA-SHA256", "RSA-PSS-SHA256", "ECDSA-SHA384" ... */
	bool sig_is_pss;
	bool sig_is_sha1;   /* signed with SHA-1 (or MD5): no SHA-2 device issue */

	bool is_ca;         /* basicConstraints cA=TRUE */
	bool self_signed;   /* issuer == subject and the signature verifies with its own key */
	bool self_signed_checked;  /* false after cert_from_der_brief: self_signed unknown */

	char *ad_name;      /* MS-WCCE sanitized short name (adname_short_name of the CN) */
	char *source;       /* file (or label) it came from; "file[2]" for the third in a bundle */
} cert;

typedef struct {
	cert **items;
	size_t count;
} cert_list;

/* Decodes one DER certificate.  Fails (ADPKI_ERR_CONFIG) on anything that is
 * not exactly one certificate: trailing bytes are an error. */
adpki_result cert_from_der(const unsigned char *der, size_t len, const char *source,
                           cert **out, adpki_error *err);

/* As cert_from_der, without checking the self-signature, by far the
 * costliest fact (a public-key operation): self_signed is false and
 * self_signed_checked false.  Failures are the same as cert_from_der's
 * (the signature check never fails a decode).  For displays that do not
 * show self_signed. */
adpki_result cert_from_der_brief(const unsigned char *der, size_t len, const char *source,
                                 cert **out, adpki_error *err);

/* Decodes all certificates in a buffer: DER, PEM (one or many CERTIFICATE
 * blocks, LF or CRLF), PKCS#7 (DER or PEM "PKCS7" block).  Appends to out.
 * label names the input in messages and cert->source.  Anything that is not
 * certificates (private keys, CRLs, garbage, empty) is an error naming label. */
adpki_result cert_load_buffer(const unsigned char *data, size_t len, const char *label,
                              cert_list *out, adpki_error *err);

/* Reads a file (at most CERT_FILE_MAX bytes; refuses directories, FIFOs,
 * devices) and calls cert_load_buffer.  Errors name the path. */
adpki_result cert_load_file(const char *path, cert_list *out, adpki_error *err);

/* Appends c to list (takes ownership). */
adpki_result cert_list_append(cert_list *list, cert *c, adpki_error *err);

void cert_free(cert *c);
void cert_list_clear(cert_list *list);

/* Formats t as ISO 8601 UTC ("2031-11-10T00:00:00Z") into buf (>= 21 bytes). */
void cert_format_time(time_t t, char *buf, size_t size);

/* A CRL as stored in CN=CDP: issuer and update times. */
typedef struct {
	char *issuer;
	time_t this_update;
	time_t next_update;  /* (time_t)-1 when absent */
	char sha1[41];
} crl_info;

/* Decodes one DER CRL. */
adpki_result crl_from_der(const unsigned char *der, size_t len, const char *source,
                          crl_info *out, adpki_error *err);
void crl_info_clear(crl_info *c);

#endif
