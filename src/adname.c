/* adname.c - MS-WCCE sanitized CA names and RFC 4514 / RFC 4515 escaping.
 *
 * A certificate subject is attacker-controlled input: everything derived
 * from it that goes into a DN or a filter passes through here. */
#include "config.h"
#include "adname.h"
#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Characters MS-WCCE 3.1.1.4.1.1.2 disallows in the printable ASCII range
 * ('!' itself must be escaped: it introduces an escape sequence). */
static const char wcce_disallowed[] = "!\"#%&'()*+,/:;<=>?[\\]^`{|}";

static bool
wcce_allowed(uint32_t unit)
{
	if (unit < 0x20 || unit >= 0x7f)
		return false;
	return strchr(wcce_disallowed, (int)unit) == NULL;
}

/* Decodes one UTF-8 sequence; malformed input (bad lead byte, truncated
 * sequence, overlong form, surrogate, > U+10FFFF) yields U+FFFD for one
 * byte, so no byte of the input is ever copied through unexamined. */
static size_t
utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
	size_t n = text_utf8_len(s, left, cp);

	if (n == 0) {
		*cp = 0xfffd;
		return 1;
	}
	return n;
}

/* Appends "!xxxx" for one UTF-16 code unit. */
static char *
append_escape(char *out, uint32_t unit)
{
	return out + sprintf(out, "!%04x", (unsigned)(unit & 0xffff));
}

char *
adname_sanitize(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = strlen(name), i = 0;
	/* Worst case: every byte becomes two UTF-16 escapes of 5 characters. */
	char *out = malloc(len * 10 + 1), *p = out;
	uint32_t cp;

	if (out == NULL)
		return NULL;
	while (i < len) {
		i += utf8_decode(s + i, len - i, &cp);
		if (cp >= 0x10000) {
			/* Outside the BMP: escape both UTF-16 surrogates. */
			cp -= 0x10000;
			p = append_escape(p, 0xd800 + (cp >> 10));
			p = append_escape(p, 0xdc00 + (cp & 0x3ff));
		} else if (wcce_allowed(cp)) {
			*p++ = (char)cp;
		} else {
			p = append_escape(p, cp);
		}
	}
	*p = '\0';
	return out;
}

unsigned
adname_hash(const char *chars, size_t len)
{
	unsigned hash = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned low_bit = (hash & 0x8000) ? 1 : 0;
		hash = (((hash << 1) | low_bit) + (unsigned char)chars[i]) & 0xffff;
	}
	return hash;
}

/* Where to cut a sanitized name of more than ADNAME_SHORT_MAX characters:
 * at 51, moved back to the start of an escape sequence cut in half
 * (MS-WCCE: "!002" left of "!0023" is dropped completely). */
static size_t
short_name_cut(const char *sanitized)
{
	size_t cut = ADNAME_SHORT_MAX, k;

	for (k = 1; k <= 4 && k <= cut; k++) {
		if (sanitized[cut - k] == '!') {
			/* '!' only ever starts an escape in sanitized text; the
			 * sequence needs 5 characters, and only k fit. */
			return cut - k;
		}
	}
	return cut;
}

char *
adname_short_name(const char *name)
{
	char *sanitized = adname_sanitize(name), *out;
	size_t len, cut;

	if (sanitized == NULL)
		return NULL;
	len = strlen(sanitized);
	if (len <= ADNAME_SHORT_MAX)
		return sanitized;
	/* The spec's pages disagree on what is hashed; like PSPKI we hash the
	 * characters cut from the sanitized string (MS-WCCE 3.1.1.4.1.1).
	 * --name overrides the whole choice when a forest needs another. */
	cut = short_name_cut(sanitized);
	out = malloc(cut + 7);
	if (out != NULL) {
		memcpy(out, sanitized, cut);
		snprintf(out + cut, 7, "-%05u", adname_hash(sanitized + cut, len - cut));
	}
	free(sanitized);
	return out;
}

char *
adname_dn_escape(const char *value)
{
	size_t len = strlen(value), i;
	char *out = malloc(len * 3 + 1), *p = out;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		bool lead = i == 0, trail = i == len - 1;

		if (c < 0x20 || c == 0x7f) {
			/* Control characters as hex pairs: never a raw newline. */
			p += sprintf(p, "\\%02X", c);
		} else if (strchr("\"+,;<>\\=", c) != NULL ||
		           (lead && (c == '#' || c == ' ')) || (trail && c == ' ')) {
			*p++ = '\\';
			*p++ = (char)c;
		} else {
			*p++ = (char)c;
		}
	}
	*p = '\0';
	return out;
}

char *
adname_filter_escape(const unsigned char *value, size_t len)
{
	char *out = malloc(len * 3 + 1), *p = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = value[i];
		if (c == '*' || c == '(' || c == ')' || c == '\\' || c == 0 || c >= 0x80)
			p += sprintf(p, "\\%02x", c);
		else
			*p++ = (char)c;
	}
	*p = '\0';
	return out;
}

size_t
adname_dn_length(LDAPDN dn)
{
	size_t n = 0;

	while (dn != NULL && dn[n] != NULL)
		n++;
	return n;
}

bool
adname_bv_equal(const struct berval *a, const struct berval *b)
{
	return a->bv_len == b->bv_len && strncasecmp(a->bv_val, b->bv_val, a->bv_len) == 0;
}

bool
adname_rdn_equal(LDAPRDN a, LDAPRDN b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return false;
	for (i = 0; a[i] != NULL && b[i] != NULL; i++) {
		if (!adname_bv_equal(&a[i]->la_attr, &b[i]->la_attr) ||
		    !adname_bv_equal(&a[i]->la_value, &b[i]->la_value))
			return false;
	}
	return a[i] == NULL && b[i] == NULL;
}
