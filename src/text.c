/* text.c - UTF-8 validation and one-line safety (see text.h). */
#include "config.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t
text_utf8_len(const unsigned char *s, size_t left, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (left == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	/* Lead bytes C0, C1 and F5..FF can only start overlong or out-of-range
	 * forms. */
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2; c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3; c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4; c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool
text_is_invisible_control(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == 0x200e ||
	       c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0xfeff;
}

char *
text_safe_line(const char *s, unsigned flags)
{
	const unsigned char *u = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)u), i = 0;
	/* Worst case: every byte becomes "\xNN" (4), or a 4-byte sequence
	 * becomes "\u{10FFFF}" (10). */
	char *out = malloc(len * 4 + 1), *o = out;

	if (out == NULL)
		return NULL;
	while (i < len) {
		uint32_t cp = 0;
		size_t n = text_utf8_len(u + i, len - i, &cp);

		if (n == 0 || (n == 1 && (cp < 0x20 || cp == 0x7f))) {
			o += sprintf(o, "\\x%02X", u[i]);
			i++;
			continue;
		}
		if (n == 1 && cp == '\\' && (flags & TEXT_DOUBLE_BACKSLASH)) {
			*o++ = '\\';
			*o++ = '\\';
		} else if (n == 1 || (!(flags & TEXT_ASCII_ONLY) && !text_is_invisible_control(cp))) {
			memcpy(o, u + i, n);
			o += n;
		} else {
			o += sprintf(o, "\\u{%04X}", (unsigned)cp);
		}
		i += n;
	}
	*o = '\0';
	return out;
}

char *
text_utf8_clean(const char *s)
{
	const unsigned char *u = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)u), i = 0;
	char *out = malloc(len * 3 + 1), *o = out;

	if (out == NULL)
		return NULL;
	while (i < len) {
		uint32_t cp;
		size_t n = text_utf8_len(u + i, len - i, &cp);
		if (n == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(o, u + i, n);
			o += n;
			i += n;
		}
	}
	*o = '\0';
	return out;
}

void
text_hex_upper(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}
