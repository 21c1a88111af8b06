/* ldif.h - plans as LDIF (RFC 2849), for review and for `apply FILE`.
 *
 * The writer produces files that both `ldapmodify -Y GSSAPI -f FILE` and
 * Windows `ldifde -i -h -f FILE` accept: ASCII only, no version line (as
 * ldifde exports), value-level add:/delete: only (never replace:), every
 * certificate value base64 (`attr:: ...`), DNs and names base64 whenever
 * they are not safe printable ASCII, lines folded at 78 characters with one
 * leading space, a `-` line after every modification, a blank line after
 * every record.  Comments (sanitized printable ASCII, so nothing can escape
 * them) name each value's subject, SHA-1 and expiry; they are written
 * between records, above the record they describe, never inside one.
 *
 * The reader accepts exactly what the writer writes plus what an admin
 * would write by hand in the same subset, and refuses everything else,
 * naming the file and line, before anything is sent. */
#ifndef ADPKI_LDIF_H
#define ADPKI_LDIF_H

#include <stddef.h>
#include <stdio.h>

#include "plan.h"
#include "result.h"

#define LDIF_FILE_MAX (64u * 1024u * 1024u)  /* largest plan file read */
#define LDIF_RECORDS_MAX PLAN_OPS_MAX       /* most records in one file */
#define LDIF_LINE_MAX (64u * 1024u)         /* longest unfolded line */
#define LDIF_WIDTH 78                       /* longest physical line written */

/* Writes p as LDIF to out.  Operations on the same object that follow each
 * other become one modify record (one atomic LDAP modify). */
adpki_result ldif_write_plan(const plan *p, FILE *out, adpki_error *err);

/* Parses LDIF text into a plan.  label names the input in messages
 * ("plan.ldif:12: ...").  Every DN must lie under pks_dn (compared
 * structurally, RFC 4514, case-insensitively):
 *   changetype: add     certificationAuthority objects in Certification
 *                       Authorities, AIA, or the NTAuthCertificates object,
 *                       with objectClass (top, certificationAuthority), cn
 *                       (equal to the RDN), cACertificate,
 *                       authorityRevocationList, certificateRevocationList,
 *                       crossCertificatePair;
 *   changetype: modify  add:/delete: of cACertificate, crossCertificatePair,
 *                       authorityRevocationList, certificateRevocationList,
 *                       userCertificate, each with at least one value, in
 *                       those containers or KRA;
 *   changetype: delete  objects in Certification Authorities or AIA.
 * Refused: replace:, other attributes or options, other DNs, modrdn,
 * records without changetype, controls, broken base64, bad folding, `:<`
 * URLs, values over CERT_AD_VALUE_MAX bytes, more than LDIF_RECORDS_MAX
 * records, NUL bytes.  Values are decoded as certificates for display. */
adpki_result ldif_parse(const char *data, size_t len, const char *label, const char *pks_dn,
                        plan **out, adpki_error *err);

/* Reads path (a regular file of at most LDIF_FILE_MAX bytes) and parses it. */
adpki_result ldif_read_file(const char *path, const char *pks_dn, plan **out,
                            adpki_error *err);

/* Base64 (RFC 4648, with padding) of bytes: malloc'd, NUL-terminated. */
char *ldif_base64(const unsigned char *bytes, size_t len);

/* Strict base64 decoding: only the alphabet and final padding.  Returns a
 * malloc'd buffer (len in *out_len), NULL when the text is not base64. */
unsigned char *ldif_unbase64(const char *text, size_t len, size_t *out_len);

#endif
