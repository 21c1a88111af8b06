/* adname.h - names of AD objects and safe text for DNs and filters.
 *
 * MS-WCCE 3.1.1.4.1.1: a CA's directory object name is its sanitized
 * name, cut to a short name with a hash when longer than 51 characters.
 * RFC 4514/4515: escaping of DN attribute values and filter values.
 * All functions return malloc'd strings (NULL on out of memory). */
#ifndef ADPKI_ADNAME_H
#define ADPKI_ADNAME_H

#include <stdbool.h>
#include <stddef.h>

#include <ldap.h>

#define ADNAME_SHORT_MAX 51

/* MS-WCCE sanitized name: disallowed characters become "!" plus four
 * lower-case hex digits of their UTF-16 code unit(s).  Invalid UTF-8 bytes
 * are treated as U+FFFD. */
char *adname_sanitize(const char *name);

/* MS-WCCE sanitized short name (the object's cn). */
char *adname_short_name(const char *name);

/* The 16-bit rotate-and-add hash of MS-WCCE 3.1.1.4.1.1. */
unsigned adname_hash(const char *chars, size_t len);

/* RFC 4514 escaping of one attribute value for use in a DN. */
char *adname_dn_escape(const char *value);

/* RFC 4515 escaping of bytes for use in a search filter. */
char *adname_filter_escape(const unsigned char *value, size_t len);

/* --- parsed DNs (ldap_str2dn), compared as AD compares them ------------ */

/* Number of RDNs in dn. */
size_t adname_dn_length(LDAPDN dn);

/* Same attribute type and value, ASCII case-insensitive. */
bool adname_bv_equal(const struct berval *a, const struct berval *b);

/* RDNs with the same AVAs in the same order (types and values compared
 * with adname_bv_equal). */
bool adname_rdn_equal(LDAPRDN a, LDAPRDN b);

#endif
