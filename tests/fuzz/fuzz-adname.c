/* fuzz-adname.c - libFuzzer target: the name sanitizer and the DN/filter
 * escapers, which see attacker-controlled certificate subjects.  Beyond
 * "does not crash", the target checks what callers rely on and aborts when
 * a promise is broken:
 *   - adname_sanitize: printable ASCII only, '!' only as "!xxxx" (lower-case
 *     hex), and for valid UTF-8 it decodes back to the input;
 *   - adname_short_name: at most 51 + "-NNNNN" = 57 bytes, the sanitized
 *     name itself when that is short enough;
 *   - adname_dn_escape: no unescaped special, no control character, no
 *     unescaped leading '#'/' ' or trailing ' ', and libldap's RFC 4514
 *     parser reads "CN=<escaped>,CN=AIA,DC=x" as 3 RDNs whose first value is
 *     the input (valid UTF-8 without NUL);
 *   - adname_filter_escape: only safe bytes raw, "\xx" otherwise, and it
 *     decodes back to the input bytes. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "adname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, <= U+10FFFF. */
static bool
valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;

	while (i < len) {
		uint32_t c = s[i], min;

		if (c < 0x80) { i++; continue; }
		if ((c & 0xe0) == 0xc0) { n = 2; c &= 0x1f; min = 0x80; }
		else if ((c & 0xf0) == 0xe0) { n = 3; c &= 0x0f; min = 0x800; }
		else if ((c & 0xf8) == 0xf0) { n = 4; c &= 0x07; min = 0x10000; }
		else return false;
		if (i + n > len)
			return false;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

static size_t
put_utf8(unsigned char *o, uint32_t c)
{
	if (c < 0x80) { o[0] = (unsigned char)c; return 1; }
	if (c < 0x800) {
		o[0] = (unsigned char)(0xc0 | (c >> 6));
		o[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (c >> 12));
		o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (c >> 18));
	o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/* Checks the sanitized form; returns its decoding (UTF-16 escapes back to
 * UTF-8, malloc'd, NUL-terminated). */
static unsigned char *
check_sanitized(const char *san)
{
	size_t len = strlen(san), i = 0, n = 0;
	unsigned char *out = malloc(len * 4 + 1);
	uint32_t high = 0;

	if (out == NULL)
		abort();
	while (i < len) {
		unsigned char c = (unsigned char)san[i];
		uint32_t unit = 0;
		int k;

		if (c < 0x20 || c > 0x7e)
			abort();   /* not printable ASCII */
		if (c != '!') {
			if (strchr("\"#%&'()*+,/:;<=>?[\\]^`{|}", c) != NULL || high != 0)
				abort();   /* disallowed character left raw */
			out[n++] = c;
			i++;
			continue;
		}
		if (i + 5 > len)
			abort();   /* '!' without four digits */
		for (k = 1; k <= 4; k++) {
			int v = hexval(san[i + k]);
			if (v < 0 || (san[i + k] >= 'A' && san[i + k] <= 'F'))
				abort();   /* escapes are lower-case hex */
			unit = (unit << 4) | (uint32_t)v;
		}
		i += 5;
		if (unit >= 0xd800 && unit <= 0xdbff) {
			if (high != 0)
				abort();
			high = unit;
			continue;
		}
		if (unit >= 0xdc00 && unit <= 0xdfff) {
			if (high == 0)
				abort();   /* lone low surrogate */
			n += put_utf8(out + n, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
			high = 0;
			continue;
		}
		if (high != 0)
			abort();   /* high surrogate not followed by a low one */
		n += put_utf8(out + n, unit);
	}
	if (high != 0)
		abort();
	out[n] = '\0';
	return out;
}

static void
check_short(const char *name, const char *san, const char *shrt)
{
	size_t slen = strlen(san), n = strlen(shrt), k;

	if (n > ADNAME_SHORT_MAX + 6)
		abort();
	if (slen <= ADNAME_SHORT_MAX) {
		if (strcmp(san, shrt) != 0)
			abort();
		return;
	}
	/* prefix of the sanitized name (not cutting an escape) + "-NNNNN" */
	if (n < 6 || shrt[n - 6] != '-')
		abort();
	for (k = n - 5; k < n; k++)
		if (shrt[k] < '0' || shrt[k] > '9')
			abort();
	if (strncmp(san, shrt, n - 6) != 0)
		abort();
	for (k = 0; k < n - 6; k++)
		if (shrt[k] == '!' && k + 5 > n - 6)
			abort();   /* half an escape sequence */
	(void)name;
}

static void
check_dn_escaped(const char *in, const char *esc)
{
	size_t len = strlen(esc), i;
	size_t in_len = strlen(in);
	LDAPDN dn = NULL;
	char *text;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)esc[i];

		if (c < 0x20 || c == 0x7f)
			abort();   /* raw control character */
		if (c == '\\') {
			unsigned char d = (unsigned char)esc[i + 1];
			if (d != '\0' && strchr("\"+,;<>\\=# ", d) != NULL) {
				i++;
				continue;
			}
			if (hexval(esc[i + 1]) >= 0 && esc[i + 1] != '\0' && hexval(esc[i + 2]) >= 0) {
				i += 2;
				continue;
			}
			abort();   /* backslash that escapes nothing */
		}
		if (strchr("\"+,;<>=", c) != NULL)
			abort();   /* unescaped special */
		if (i == 0 && (c == '#' || c == ' '))
			abort();
		if (i == len - 1 && c == ' ')
			abort();
	}

	/* libldap must read it back as exactly the input. */
	if (in_len == 0 || !valid_utf8((const unsigned char *)in, in_len))
		return;
	text = malloc(len + 32);
	if (text == NULL)
		abort();
	snprintf(text, len + 32, "CN=%s,CN=AIA,DC=x", esc);
	if (ldap_str2dn(text, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || dn == NULL) {
		fprintf(stderr, "libldap refused %s\n", text);
		abort();
	}
	if (dn[0] == NULL || dn[1] == NULL || dn[2] == NULL || dn[3] != NULL ||
	    dn[0][0] == NULL || dn[0][1] != NULL ||
	    dn[0][0]->la_value.bv_len != in_len ||
	    memcmp(dn[0][0]->la_value.bv_val, in, in_len) != 0) {
		fprintf(stderr, "libldap read %s differently\n", text);
		abort();
	}
	ldap_dnfree(dn);
	free(text);
}

static void
check_filter_escaped(const unsigned char *in, size_t in_len, const char *esc)
{
	size_t len = strlen(esc), i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)esc[i], b = c;

		if (c == '\\') {
			int hi = i + 1 < len ? hexval(esc[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(esc[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				abort();
			b = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (c == '*' || c == '(' || c == ')' || c >= 0x80) {
			abort();   /* raw filter special or non-ASCII */
		}
		if (n >= in_len || in[n] != b)
			abort();   /* does not decode to the input */
		n++;
	}
	if (n != in_len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1), *san, *shrt, *esc, *fesc;
	unsigned char *back;
	size_t name_len;

	if (name == NULL)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	name_len = strlen(name);   /* the C-string functions stop at a NUL */

	san = adname_sanitize(name);
	shrt = adname_short_name(name);
	esc = adname_dn_escape(name);
	fesc = adname_filter_escape(data, size);   /* bytes, NULs included */
	if (san == NULL || shrt == NULL || esc == NULL || fesc == NULL)
		abort();

	back = check_sanitized(san);
	if (valid_utf8((const unsigned char *)name, name_len) && strcmp((char *)back, name) != 0)
		abort();   /* sanitizing lost information */
	check_short(name, san, shrt);
	check_dn_escaped(name, esc);
	check_filter_escaped(data, size, fesc);
	(void)adname_hash(name, name_len);

	free(back);
	free(san);
	free(shrt);
	free(esc);
	free(fesc);
	free(name);
	return 0;
}
