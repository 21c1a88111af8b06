/* fuzz-ldif.c - libFuzzer target: the LDIF plan reader (adpki apply FILE)
 * and, on whatever it accepts, every renderer of a plan: the LDIF writer,
 * the dry-run diff and the JSON form.  A plan the reader accepts must also
 * survive a round trip: what the writer writes, the reader accepts again
 * with the same operations. */
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
