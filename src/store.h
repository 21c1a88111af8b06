/* store.h - the AD PKI model: the containers under Public Key Services and
 * a snapshot of the objects and certificate values they hold, read with one
 * paged subtree search (ranged retrieval for attributes with many values). */
#ifndef ADPKI_STORE_H
#define ADPKI_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "cert.h"
#include "conn.h"
#include "result.h"

typedef enum {
	CONT_ROOTCA = 0,   /* CN=Certification Authorities */
	CONT_AIA,          /* CN=AIA */
	CONT_NTAUTH,       /* CN=NTAuthCertificates (an object, not a container) */
	CONT_CDP,          /* CN=CDP */
	CONT_KRA,          /* CN=KRA */
	CONT_ENROLLMENT,   /* CN=Enrollment Services */
	CONT_COUNT
} container_id;

#define CONT_MASK_ALL ((1u << CONT_COUNT) - 1u)

const char *container_name(container_id id);   /* "rootca", "aia", ... */
const char *container_rdn(container_id id);    /* "CN=Certification Authorities" ... */
const char *container_title(container_id id);  /* "Certification Authorities" ... */

/* Parses "rootca,aia" into a bit mask; unknown names are a usage error. */
adpki_result container_parse_list(const char *list, unsigned *mask, adpki_error *err);

/* One value of a certificate or CRL attribute.  Values are decoded on
 * first use (store_value_cert/_crl/_error), not when read: a plan needs
 * only the bytes and their thumbprints, and list shows one value at a time
 * (store_value_forget drops what it has shown).  A snapshot built by hand
 * may set cert or crl directly. */
typedef struct {
	const char *attribute;      /* canonical name: "cACertificate", "crossCertificatePair",
	                               "userCertificate", "certificateRevocationList",
	                               "deltaRevocationList" */
	unsigned char *bytes;
	size_t len;
	cert *cert;                 /* decoded certificate, or NULL (CRL, undecodable, not yet) */
	crl_info *crl;              /* decoded CRL, or NULL */
	char *decode_error;         /* why it could not be decoded, or NULL */
	bool decoded;               /* decoding was tried; with cert and crl NULL, it failed */
} store_value;

typedef struct {
	char *dn;                   /* as returned by the server */
	char *name;                 /* the cn (first RDN value, unescaped) */
	container_id container;
	bool is_container_root;     /* the container object itself (CN=AIA ...) or NTAuth */
	char *dns_host_name;        /* pKIEnrollmentService dNSHostName, or NULL */
	char *parent_name;          /* CDP: the CA host container's name, or NULL */
	store_value *values;        /* placeholders (one byte) are not stored */
	size_t value_count;
	size_t placeholder_count;   /* how many one-byte placeholder values were skipped */
} store_object;

typedef struct store_index store_index;

typedef struct {
	char *pks_dn;               /* CN=Public Key Services,... */
	unsigned mask;              /* containers read */
	bool present[CONT_COUNT];   /* container (or NTAuth object) exists */
	store_object *objects;
	size_t object_count;
	store_index *index;         /* lookup tables, built by the first lookup; private */
} snapshot;

/* Reads the containers in mask.  Missing containers/objects are recorded as
 * absent, not errors. */
adpki_result snapshot_read(conn *c, unsigned mask, const adpki_logger *log,
                           snapshot **out, adpki_error *err);

/* Reads the given objects again (read-back after a write).  DNs that do not
 * exist are simply absent from the result. */
adpki_result snapshot_read_dns(conn *c, const char *const *dns, size_t count,
                               const adpki_logger *log, snapshot **out, adpki_error *err);

void snapshot_free(snapshot *s);

/* The certificate in v (decoded now if it was not yet; o is its object, for
 * messages), or NULL when v is a CRL or does not decode. */
const cert *store_value_cert(const store_object *o, const store_value *v);

/* The same, decoded without checking the self-signature (the costly part
 * of decoding): cert->self_signed_checked is false unless a full decode was
 * there already.  For displays that do not show self_signed. */
const cert *store_value_cert_brief(const store_object *o, const store_value *v);

/* The CRL in v (certificateRevocationList, deltaRevocationList), or NULL. */
const crl_info *store_value_crl(const store_object *o, const store_value *v);

/* Why v does not decode ("<dn>: <reason>"), or NULL when it decodes. */
const char *store_value_error(const store_object *o, const store_value *v);

/* Releases v's decoded certificate or CRL (a later use decodes it again);
 * why it does not decode is kept.  The snapshot is otherwise unchanged. */
void store_value_forget(const store_value *v);

/* Finds an object by DN (case-insensitive; a server's other spelling of the
 * same DN, e.g. "cn=" for "CN=", matches too); NULL when absent.  The
 * first lookup builds hash tables, so many lookups cost O(1) each; the
 * snapshot's objects must not change after it. */
store_object *snapshot_find(const snapshot *s, const char *dn);

/* The object named name (ASCII case-insensitive) directly in container c,
 * not a container itself nor under a CDP host; for CONT_NTAUTH the
 * NTAuthCertificates object whatever name says.  NULL when absent. */
const store_object *snapshot_find_name(const snapshot *s, container_id c, const char *name);

/* DN of the container (or the NTAuth object) under pks_dn (malloc'd). */
char *store_container_dn(const char *pks_dn, container_id id);

/* DN of an object named name (unescaped) in container id (malloc'd);
 * for CONT_NTAUTH the object itself. */
char *store_object_dn(const char *pks_dn, container_id id, const char *name);

/* Which container a DN under pks_dn belongs to; -1 when outside all of them. */
int store_classify_dn(const char *pks_dn, const char *dn);

/* --- ranged retrieval (MS-ADTS 3.1.1.3.1.3.3), a pure function for tests ---
 * Parses an attribute description such as "cACertificate;range=0-1499" or
 * "cACertificate;range=1500-*".  Returns true when it carries a range; sets
 * base (copied into base_out, at most base_size bytes incl. NUL), low, and
 * high (-1 for "*", meaning this was the last chunk). */
bool store_parse_range(const char *desc, char *base_out, size_t base_size,
                       long *low, long *high);

/* Given the last range received, the next attribute description to request
 * (e.g. "cACertificate;range=1500-*") into buf; false when complete. */
bool store_next_range(const char *base, long high, size_t received,
                      char *buf, size_t size);

#endif
