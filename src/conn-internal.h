/* conn-internal.h - shared between conn.c and password.c. */
#ifndef ADPKI_CONN_INTERNAL_H
#define ADPKI_CONN_INTERNAL_H

#include <stddef.h>

#include "conn.h"

#define CONN_PASSWORD_MAX 1024    /* longer than any AD password (256 chars) */

/* The simple-bind password from --stdin-password or --password-file (first
 * line, without its line end) into buf. */
adpki_result conn_read_password(const conn_options *o, char *buf, size_t size,
                                adpki_error *err);

#endif
