/* lint.h - checks on a certificate before it is trusted forest-wide:
 * CA-ness, validity, AD's size limit and legacy-device risks (Lync/Skype
 * Phone Edition, Polycom CX700). Pure functions, no I/O. */
#ifndef ADPKI_LINT_H
#define ADPKI_LINT_H

#include <stddef.h>
#include <time.h>

#include "cert.h"

typedef struct {
	const char *code;  /* stable identifier used in JSON: "not-ca", "expired", ... */
	const char *text;  /* one line for people */
} lint_warning;

#define LINT_MAX_WARNINGS 8

/* Fills out[] (room for LINT_MAX_WARNINGS) with the warnings that apply at
 * time now; returns how many.  Codes:
 *   not-ca, expired, not-yet-valid, too-large,
 *   legacy-rsa-key-size  (SHA-2 signature with RSA key > 2048 bits: Polycom CX700 / CPE),
 *   legacy-pss           (RSASSA-PSS signature: rejected by Lync Phone Edition),
 *   legacy-sha256        (SHA-2 signature: Lync Phone Edition needs CU7 / 4.0.7577 or later),
 *   legacy-ecdsa         (ECDSA key: support on those devices unknown) */
size_t lint_cert(const cert *c, time_t now, lint_warning *out);

#endif
