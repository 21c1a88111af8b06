/* text.h - UTF-8 and one-line safety for text that comes from certificates,
 * file names and servers (all attacker-controlled).  One implementation for
 * every renderer: tables, diffs, LDIF comments, messages, JSON strings. */
#ifndef ADPKI_TEXT_H
#define ADPKI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (at most left bytes): shortest
 * form, no surrogates, at most U+10FFFF.  0 when invalid; *cp gets the code
 * point when valid. */
size_t text_utf8_len(const unsigned char *s, size_t left, uint32_t *cp);

/* Code points that reorder or break a line without being ASCII controls:
 * C1 controls, U+2028/U+2029, bidi marks/overrides/isolates, BOM. */
bool text_is_invisible_control(uint32_t cp);

enum {
	TEXT_ASCII_ONLY = 1,        /* also escape every non-ASCII character */
	TEXT_DOUBLE_BACKSLASH = 2,  /* "\" becomes "\\", so escapes are unambiguous */
};

/* A copy of s that is safe on one line: ASCII controls, DEL and invalid
 * UTF-8 bytes become \xNN; invisible controls (and, with TEXT_ASCII_ONLY,
 * all non-ASCII) become \u{XXXX}.  NULL s is "".  malloc'd, NULL on out of
 * memory. */
char *text_safe_line(const char *s, unsigned flags);

/* A copy of s that is valid UTF-8 (invalid bytes become U+FFFD), for JSON. */
char *text_utf8_clean(const char *s);

/* Bytes as upper-case hex (out has room for 2 * len + 1). */
void text_hex_upper(const unsigned char *in, size_t len, char *out);

#endif
