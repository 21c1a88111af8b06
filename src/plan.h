/* plan.h - what adpki will change, as plain data.
 *
 * A plan is computed from a snapshot (what the directory holds) and what the
 * user asked for.  It is the one thing the dry run renders, the real run
 * applies, the LDIF writer writes and the LDIF reader (apply FILE) returns,
 * so the dry run cannot disagree with the real run.
 *
 * Operations are value-level: create-object, delete-object, add-value,
 * delete-value.  Operations on one object are contiguous (one LDAP modify
 * per object), groups come in a stable order (container, then name), and
 * within an object adds come before deletes, so a mandatory attribute is
 * never left without a value in between.
 *
 * Ownership: a plan owns everything it points to (DNs, names, value bytes,
 * decoded certificates), so it outlives the snapshot and the certificates it
 * was computed from.  plan_free releases it.
 *
 * Placeholders: AD's certificationAuthority requires cACertificate,
 * authorityRevocationList and certificateRevocationList; an attribute with
 * nothing to hold carries a single 0x00 byte (see ad-pki-facts.md).  Plan
 * values with placeholder == true are such bytes; they are shown but not
 * counted as certificate values in the summary. */
#ifndef ADPKI_PLAN_H
#define ADPKI_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "cert.h"
#include "result.h"
#include "store.h"

/* Canonical attribute names (the spelling adpki writes). */
#define PLAN_ATTR_CA    "cACertificate"
#define PLAN_ATTR_CROSS "crossCertificatePair"
#define PLAN_ATTR_USER  "userCertificate"
#define PLAN_ATTR_ARL   "authorityRevocationList"
#define PLAN_ATTR_CRL   "certificateRevocationList"
#define PLAN_OBJECT_CLASS "certificationAuthority"

/* Upper bound of operations in one plan (and of records in one LDIF file). */
#define PLAN_OPS_MAX 100000u

typedef enum {
	PLAN_CREATE_OBJECT,
	PLAN_DELETE_OBJECT,
	PLAN_ADD_VALUE,
	PLAN_DELETE_VALUE,
} plan_op_kind;

typedef struct {
	const char *attribute;  /* one of the PLAN_ATTR_* strings (static) */
	unsigned char *bytes;   /* owned */
	size_t len;
	bool placeholder;       /* the one-byte 0x00 value */
	cert *cert;             /* decoded from bytes (owned), or NULL */
	char sha1[41];          /* SHA-1 of bytes, upper-case hex ("" for placeholders) */
} plan_value;

typedef struct {
	plan_op_kind kind;
	char *dn;               /* as built (store_object_dn) or as read (snapshot, LDIF) */
	int container;          /* container_id, -1 when unknown */
	char *object;           /* the object's name (cn, unescaped), for display */
	/* create-object: every attribute value sent (real values and placeholders);
	 * add-value / delete-value: exactly one value;
	 * delete-object: the real values the object held (what is lost and what
	 * undo restores); empty when unknown (read from an LDIF delete record). */
	plan_value *values;
	size_t value_count;
	bool values_known;      /* delete-object: values[] is the object's full content */
} plan_op;

typedef struct {
	size_t objects_created;
	size_t objects_deleted;
	size_t values_added;    /* real values only, placeholders not counted */
	size_t values_removed;  /* real values only, including those of deleted objects */
	size_t unchanged;       /* publish: already present; remove: thumbprint not found */
} plan_summary;

typedef struct {
	plan_op *ops;
	size_t op_count;
	size_t op_cap;
	plan_summary summary;
	/* plan_remove: thumbprints (normalized hex) found nowhere, for messages. */
	char **not_found;
	size_t not_found_count;
} plan;

plan *plan_new(void);
void plan_free(plan *p);

/* True when the plan changes nothing. */
bool plan_is_empty(const plan *p);

/* --- publish --- */

typedef enum {
	PLAN_ROLE_AUTO,
	PLAN_ROLE_ROOTCA,   /* CN=Certification Authorities and CN=AIA, cACertificate */
	PLAN_ROLE_SUBCA,    /* CN=AIA, cACertificate */
	PLAN_ROLE_CROSSCA,  /* CN=AIA, crossCertificatePair */
	PLAN_ROLE_NTAUTH,   /* the CN=NTAuthCertificates object, cACertificate */
} plan_role;

/* Parses "rootca|subca|crossca|ntauth|auto" and certutil's RootCA, SubCA,
 * CrossCA, NTAuthCA, in any case.  Anything else is a usage error. */
adpki_result plan_role_parse(const char *text, plan_role *out, adpki_error *err);
const char *plan_role_name(plan_role r);

/* auto: a self-signed CA is rootca, anything else subca (a forced non-CA
 * never lands in the trusted roots by guesswork). */
plan_role plan_role_resolve(plan_role r, const cert *c);

typedef struct {
	const cert *cert;       /* borrowed for the call only */
	plan_role role;
	const char *name;       /* object name override (unescaped), or NULL: cert->ad_name */
} plan_item;

typedef struct {
	bool force;             /* publish certificates that are not CAs */
} plan_publish_options;

/* The plan that makes every item present.  Values already present
 * (byte-equal, same attribute, same object) are counted as unchanged.
 * Needs the snapshot to cover the containers the roles touch; a missing
 * container (other than the NTAuth object, which is created) is an error. */
adpki_result plan_publish(const snapshot *s, const plan_item *items, size_t count,
                          const plan_publish_options *opt, plan **out, adpki_error *err);

/* --- remove and prune --- */

/* Normalizes a SHA-1 (40) or SHA-256 (64) thumbprint: any case, spaces and
 * colons allowed anywhere; out gets upper-case hex (>= 65 bytes). */
adpki_result plan_parse_thumbprint(const char *text, char *out, size_t size, adpki_error *err);

/* Removes the values whose SHA-1 or SHA-256 is one of thumbprints
 * (normalized hex) from every object in the containers of mask.
 * An object left without real values is deleted, unless keep_empty, or it
 * is not a certificationAuthority object in CN=Certification Authorities
 * or CN=AIA (NTAuthCertificates is never deleted): then it is kept, and a
 * 0x00 placeholder is added to its mandatory attribute before the last real
 * value of that attribute is deleted. */
adpki_result plan_remove(const snapshot *s, const char *const *thumbprints, size_t count,
                         unsigned mask, bool keep_empty, plan **out, adpki_error *err);

typedef struct {
	bool expired;           /* not_after < expired_before */
	time_t expired_before;  /* "--expired": now; "--expired-before=DATE": DATE */
	bool not_ca;            /* basicConstraints cA is not TRUE */
} plan_prune_criteria;

/* Removes cACertificate and crossCertificatePair values matching any
 * criterion, with plan_remove's rules.  Values that cannot be decoded are
 * never pruned (adpki cannot tell what they are). */
adpki_result plan_prune(const snapshot *s, const plan_prune_criteria *crit, unsigned mask,
                        bool keep_empty, plan **out, adpki_error *err);

/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
adpki_result plan_parse_date(const char *text, time_t *out, adpki_error *err);

/* --- undo --- */

/* The plan that puts back exactly what p changes: added values deleted,
 * removed values added, created objects deleted, deleted objects recreated
 * with their values and the standard placeholders.  Fails when p has a
 * delete-object whose values are unknown (read from LDIF). */
adpki_result plan_invert(const plan *p, plan **out, adpki_error *err);

/* Fills the values of delete-object operations read from LDIF from a
 * snapshot (for display and undo); objects absent from s stay unknown. */
adpki_result plan_resolve_deletes(plan *p, const snapshot *s, adpki_error *err);

/* Drops delete-object operations (read from LDIF) whose object s does not
 * hold: the end state is already reached.  Counts them as unchanged and
 * returns how many were dropped. */
size_t plan_drop_absent_deletes(plan *p, const snapshot *s);

/* --- building blocks (used by the LDIF reader and tests) --- */

/* Appends an operation with no values; returns it (NULL on out of memory). */
plan_op *plan_append_op(plan *p, plan_op_kind kind, const char *dn, int container,
                        const char *object);

/* Appends a copy of bytes as a value of op, decoding it when it is a
 * certificate; placeholder is set for the one byte 0x00. */
adpki_result plan_op_add_value(plan_op *op, const char *attribute,
                               const unsigned char *bytes, size_t len, adpki_error *err);

/* Recomputes p->summary from the operations. */
void plan_recount(plan *p);

/* Canonical attribute name for a case-insensitive spelling, or NULL. */
const char *plan_attr_canonical(const char *name);

const char *plan_op_kind_name(plan_op_kind k);   /* "add-value" ... */

/* "AIA/name", "Certification Authorities/name", "NTAuthCertificates"
 * (malloc'd, not yet escaped). */
char *plan_op_label(const plan_op *op);

/* --- rendering (pure formatting into the caller's stream) --- */

/* A copy of s for one line of text: control characters, DEL, C1 controls,
 * Unicode line/paragraph separators and bidi controls, and invalid UTF-8
 * become \xNN or \u{XXXX}; backslash becomes \\ (malloc'd). */
char *plan_safe_text(const char *s, bool ascii_only);

/* The diff lines of one operation (the real run prints them as it goes). */
adpki_result plan_render_op(const plan_op *op, FILE *out);

/* The dry-run diff: one line per change, then the summary line. */
adpki_result plan_render_diff(const plan *p, FILE *out, adpki_error *err);

/* "N objects created, N deleted, N values added, N removed, N unchanged" */
void plan_summary_line(const plan_summary *sum, char *buf, size_t size);

/* {"operations":[...],"summary":{...}}; NULL on out of memory. */
json_t *plan_to_json(const plan *p);

#endif
