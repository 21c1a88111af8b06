/* fuzz-ldif.c - libFuzzer target: the LDIF plan reader (adpki apply FILE)
 * and, on whatever it accepts, every renderer of a plan: the LDIF writer,
 * the dry-run diff and the JSON form.  A plan the reader accepts must also
 * survive a round trip: what the writer writes, the reader accepts again
 * with the same operations; the LDIF is ASCII with lines of at most 78
 * characters; the diff is safe to print on a terminal. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ldif.h"
#include "plan.h"

#define PKS "CN=Public Key Services,CN=Services,CN=Configuration,DC=x,DC=test"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes p as LDIF into a malloc'd buffer (open_memstream). */
static char *
write_ldif(const plan *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	adpki_error err;

	if (f == NULL)
		abort();
	if (ldif_write_plan(p, f, &err) != ADPKI_OK)
		abort();   /* writing to memory cannot fail */
	if (fclose(f) != 0)
		abort();
	return buf;
}

/* The LDIF writer's promise: ASCII only, lines of at most LDIF_WIDTH. */
static void
check_ldif_text(const char *text, size_t len)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n') {
			col = 0;
			continue;
		}
		if (c < 0x20 || c > 0x7e || ++col > LDIF_WIDTH) {
			fprintf(stderr, "LDIF output byte %zu (0x%02x, column %zu) breaks the "
			        "format\n", i, c, col);
			abort();
		}
	}
}

/* The dry-run diff goes to a terminal: no control characters but '\n', no
 * invalid UTF-8, no C1 controls, line/paragraph separators, bidi controls
 * or BOM (plan_safe_text escapes them all). */
static void
check_terminal_text(const char *text, size_t len)
{
	size_t i = 0, n, k;

	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		uint32_t cp, min;

		if (c == '\n' || (c >= 0x20 && c < 0x7f)) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) { n = 2; cp = c & 0x1f; min = 0x80; }
		else if ((c & 0xf0) == 0xe0) { n = 3; cp = c & 0x0f; min = 0x800; }
		else if ((c & 0xf8) == 0xf0) { n = 4; cp = c & 0x07; min = 0x10000; }
		else goto bad;
		if (i + n > len)
			goto bad;
		for (k = 1; k < n; k++) {
			if (((unsigned char)text[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | ((unsigned char)text[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
		    cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff)
			goto bad;
		i += n;
	}
	return;
bad:
	fprintf(stderr, "diff output byte %zu (0x%02x) is unsafe for a terminal\n", i,
	        (unsigned char)text[i]);
	abort();
}

/* Same operations, same DNs, same value bytes. */
static void
check_same(const plan *a, const plan *b)
{
	size_t i, k;

	if (a->op_count != b->op_count)
		abort();
	for (i = 0; i < a->op_count; i++) {
		const plan_op *x = &a->ops[i], *y = &b->ops[i];

		if (x->kind != y->kind || x->container != y->container ||
		    strcmp(x->object, y->object) != 0 || x->value_count != y->value_count)
			abort();
		for (k = 0; k < x->value_count; k++) {
			if (x->values[k].attribute != y->values[k].attribute ||
			    x->values[k].len != y->values[k].len ||
			    memcmp(x->values[k].bytes, y->values[k].bytes, x->values[k].len) != 0)
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	plan *p = NULL, *again = NULL;
	adpki_error err;
	char *text, *line;
	size_t text_len = 0, line_len = 0;
	FILE *f;
	json_t *json;

	memset(&err, 0, sizeof err);
	if (ldif_parse((const char *)data, size, "fuzz", PKS, &p, &err) != ADPKI_OK) {
		if (p != NULL || err.message[0] == '\0')
			abort();   /* a refusal leaves no plan and says why */
		return 0;
	}
	if (p == NULL)
		abort();

	/* Dry-run diff and JSON of whatever was accepted. */
	f = open_memstream(&line, &line_len);
	if (f == NULL)
		abort();
	if (plan_render_diff(p, f, &err) != ADPKI_OK)
		abort();
	fclose(f);
	check_terminal_text(line, line_len);
	free(line);
	json = plan_to_json(p);
	if (json == NULL)
		abort();
	line = json_dumps(json, JSON_COMPACT);
	if (line == NULL)
		abort();
	free(line);
	json_decref(json);

	/* Round trip through the writer. */
	text = write_ldif(p, &text_len);
	check_ldif_text(text, text_len);
	if (ldif_parse(text, text_len, "fuzz-again", PKS, &again, &err) != ADPKI_OK) {
		fprintf(stderr, "written plan refused: %s\n--- written:\n%s\n", err.message, text);
		abort();
	}
	check_same(p, again);
	free(text);
	plan_free(again);
	plan_free(p);
	return 0;
}
