/* plan-internal.h - what the plan-*.c files share; not for other modules. */
#ifndef ADPKI_PLAN_INTERNAL_H
#define ADPKI_PLAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "store.h"

/* Longest object name accepted (AD's rangeUpper of cn is 64). */
#define PLAN_NAME_MAX 64

/* The one-byte value AD's mandatory attributes hold when empty. */
extern const unsigned char plan_placeholder_byte[1];

/* cACertificate, crossCertificatePair or userCertificate. */
bool plan_is_cert_attr(const char *attr);

/* SHA-1 and SHA-256 of bytes as upper-case hex (either may be NULL). */
void plan_thumbprints(const unsigned char *bytes, size_t len, char sha1[41], char sha256[65]);

/* The snapshot's object named name in container c (ASCII case-insensitive). */
const store_object *plan_find_object(const snapshot *s, int c, const char *name);

/* A value to send: borrowed bytes under an attribute. */
typedef struct {
	const char *attribute;
	const unsigned char *bytes;
	size_t len;
} pending_value;

/* Appends a create-object of a certificationAuthority named name, with
 * vals and the standard placeholders. */
adpki_result plan_emit_create(plan *p, const char *dn, int container, const char *name,
                              const pending_value *vals, size_t count, adpki_error *err);

/* Appends an add-value or delete-value of one value. */
adpki_result plan_emit_value(plan *p, plan_op_kind kind, const char *dn, int container,
                             const char *name, const char *attr, const unsigned char *bytes,
                             size_t len, adpki_error *err);

#endif
