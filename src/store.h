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

/* One value of a certificate or CRL attribute. */
typedef struct {
	const char *attribute;      /* canonical name: "cACertificate", "crossCertificatePair",
	                               "userCertificate", "certificateRevocationList",
	                               "deltaRevocationList" */
	unsigned char *bytes;
	size_t len;
	cert *cert;                 /* decoded certificate, or NULL (CRL, undecodable) */
	crl_info *crl;              /* decoded CRL, or NULL */
	char *decode_error;         /* why it could not be decoded, or NULL */
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

typedef struct {
	char *pks_dn;               /* CN=Public Key Services,... */
	unsigned mask;              /* containers read */
	bool present[CONT_COUNT];   /* container (or NTAuth object) exists */
	store_object *objects;
	size_t object_count;
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

/* Finds an object by DN (case-insensitive); NULL when absent. */
store_object *snapshot_find(const snapshot *s, const char *dn);

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
