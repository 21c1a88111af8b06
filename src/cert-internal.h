/* cert-internal.h - shared by cert.c, certload.c and der.c; not for other
 * modules. */
#ifndef ADPKI_CERT_INTERNAL_H
#define ADPKI_CERT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cert.h"

/* Tag and length at der[0..len): 0 on success (*hdr header size, *body
 * content length; only definite lengths of up to 4 length bytes), -1 when
 * malformed.  The caller checks *hdr + *body against what it has. */
int der_header(const unsigned char *der, size_t len, unsigned char *tag, size_t *hdr,
               size_t *body);

/* The buffer is exactly one DER element in minimal form: no trailing bytes,
 * no BER long-form length; "what" names it in the message. */
adpki_result der_exact(const unsigned char *der, size_t len, const char *what,
                       adpki_error *err);

/* Offset of a PKCS#7 ContentInfo's content type OID, or 0. */
size_t der_content_info_oid(const unsigned char *der, size_t len);

/* A PKCS#7 SignedData (a .p7b/.p7c). */
bool der_is_signed_data(const unsigned char *der, size_t len);

/* What a DER blob that is not a certificate is ("a private key", "a CRL",
 * ...), or NULL when it cannot tell. */
const char *der_describe(const unsigned char *der, size_t len);

/* Decodes one DER certificate; the message has no source prefix. */
adpki_result cert_decode(const unsigned char *der, size_t len, const char *source, cert **out,
                         adpki_error *err);

#endif
