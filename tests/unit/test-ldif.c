/* test-ldif.c - LDIF writer and strict reader.
 *
 * Round trips (write, read back: identical operations and bytes), the
 * writer's format rules (width, ASCII, base64, '-' lines, blank lines),
 * hostile subjects and names (checked with our reader and, when installed,
 * with `ldapmodify -n`, which parses without a server), and one refusal
 * per bad input, each naming the file and line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ldif.h"
#include "plan.h"
#include "tap.h"
#include "plan-fixtures.h"

#define YEAR (365 * 86400L)
#define AIA_DN(name) "CN=" name ",CN=AIA," FX_PKS

static fx_ca root, sub, evil;
static time_t now;

static char *
ldif_of(const plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	adpki_error err;

	if (ldif_write_plan(p, f, &err) != ADPKI_OK)
		printf("# write failed: %s\n", err.message);
	fclose(f);
	return buf;
}

/* Same operations, same DNs, same values, byte for byte. */
static bool
same_ops(const plan *a, const plan *b, bool deletes_have_values)
{
	size_t i, k;

	if (a->op_count != b->op_count)
		return false;
	for (i = 0; i < a->op_count; i++) {
		const plan_op *x = &a->ops[i], *y = &b->ops[i];
		if (x->kind != y->kind || strcmp(x->dn, y->dn) != 0 || x->container != y->container ||
		    strcmp(x->object, y->object) != 0)
			return false;
		if (x->kind == PLAN_DELETE_OBJECT && !deletes_have_values) {
			if (y->values_known || y->value_count != 0)
				return false;
			continue;
		}
		if (x->value_count != y->value_count)
			return false;
		for (k = 0; k < x->value_count; k++) {
			if (x->values[k].attribute != y->values[k].attribute ||
			    x->values[k].len != y->values[k].len ||
			    memcmp(x->values[k].bytes, y->values[k].bytes, x->values[k].len) != 0 ||
			    x->values[k].placeholder != y->values[k].placeholder ||
			    (x->values[k].cert == NULL) != (y->values[k].cert == NULL))
				return false;
		}
	}
	return true;
}

/* Format rules every written file must follow. */
static void
check_format(const char *text, const char *what)
{
	const char *line = text;
	bool ascii = true, width = true, no_replace = true, dash_ok = true, ends_blank;
	bool in_modify = false, pending = false;
	char msg[160];

	while (*line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line), i;

		for (i = 0; i < n; i++)
			ascii &= line[i] >= 0x20 && line[i] <= 0x7e;
		width &= n <= LDIF_WIDTH;
		if (strncmp(line, "replace:", 8) == 0)
			no_replace = false;
		if (strncmp(line, "changetype: modify", 18) == 0)
			in_modify = true;
		if (in_modify && (strncmp(line, "add:", 4) == 0 || strncmp(line, "delete:", 7) == 0)) {
			if (pending)
				dash_ok = false;    /* a modification not closed by '-' */
			pending = true;
		}
		if (n == 1 && line[0] == '-')
			pending = false;
		if (n == 0) {
			if (pending)
				dash_ok = false;
			in_modify = pending = false;
		}
		line = nl ? nl + 1 : line + n;
	}
	ends_blank = strlen(text) >= 2 && strcmp(text + strlen(text) - 2, "\n\n") == 0;
	snprintf(msg, sizeof msg, "%s: printable ASCII only", what);
	OK(ascii, msg);
	snprintf(msg, sizeof msg, "%s: no line over %d characters", what, LDIF_WIDTH);
	OK(width, msg);
	snprintf(msg, sizeof msg, "%s: no replace:", what);
	OK(no_replace, msg);
	snprintf(msg, sizeof msg, "%s: '-' after every modification", what);
	OK(dash_ok, msg);
	snprintf(msg, sizeof msg, "%s: ends with a blank line", what);
	OK(ends_blank, msg);
}

static void
round_trip(const plan *p, const char *what, bool deletes_have_values)
{
	char *text = ldif_of(p);
	plan *q = NULL;
	adpki_error err;
	char msg[160];

	check_format(text, what);
	snprintf(msg, sizeof msg, "%s: reads back", what);
	OK(ldif_parse(text, strlen(text), "rt.ldif", FX_PKS, &q, &err) == ADPKI_OK, msg);
	if (q == NULL)
		printf("#   %s\n", err.message);
	snprintf(msg, sizeof msg, "%s: identical operations and bytes", what);
	OK(q != NULL && same_ops(p, q, deletes_have_values), msg);
	snprintf(msg, sizeof msg, "%s: same summary", what);
	OK(q != NULL && (!deletes_have_values || p->summary.values_removed ==
	   q->summary.values_removed) && p->summary.values_added == q->summary.values_added &&
	   p->summary.objects_created == q->summary.objects_created &&
	   p->summary.objects_deleted == q->summary.objects_deleted, msg);
	plan_free(q);
	free(text);
}

/* Runs `ldapmodify -n -v -f` (parses and prints, never connects) and
 * counts the records it would send; -1 when it failed, -2 when absent. */
static int
ldapmodify_records(const char *text)
{
	char path[] = "/tmp/adpki-test-ldif-XXXXXX", cmd[256], line[4096];
	FILE *f, *pipe;
	int fd, records = 0, status;

	if (access("/usr/bin/ldapmodify", X_OK) != 0)
		return -2;
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof cmd,
	         "ldapmodify -n -v -x -H ldap://127.0.0.1:9 -f %s 2>&1", path);
	pipe = popen(cmd, "r");
	while (fgets(line, sizeof line, pipe) != NULL) {
		if (strncmp(line, "!modifying entry", 16) == 0 ||
		    strncmp(line, "!adding new entry", 17) == 0 ||
		    strncmp(line, "!deleting entry", 15) == 0)
			records++;
	}
	status = pclose(pipe);
	unlink(path);
	return status == 0 ? records : -1;
}

static void
test_base64(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	size_t i, n;
	unsigned char *d;
	char *e;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		e = ldif_base64((const unsigned char *)v[i].in, strlen(v[i].in));
		IS_STR(e, v[i].out, "base64 RFC 4648 vector");
		free(e);
		if (*v[i].out == '\0')
			continue;
		d = ldif_unbase64(v[i].out, strlen(v[i].out), &n);
		OK(d != NULL && n == strlen(v[i].in) && memcmp(d, v[i].in, n) == 0,
		   "unbase64 RFC 4648 vector");
		free(d);
	}
	d = ldif_unbase64("AA==", 4, &n);
	OK(d != NULL && n == 1 && d[0] == 0, "AA== is the 0x00 placeholder");
	free(d);
	OK(ldif_unbase64("Zm9", 3, &n) == NULL, "length not a multiple of 4 refused");
	OK(ldif_unbase64("Zm9v!A==", 8, &n) == NULL, "bad character refused");
	OK(ldif_unbase64("Zg==Zg==", 8, &n) == NULL, "padding inside refused");
	OK(ldif_unbase64("Z===", 4, &n) == NULL, "three padding characters refused");
	OK(ldif_unbase64("Zm 9v", 5, &n) == NULL, "space inside refused");
}

static void
test_round_trips(void)
{
	snapshot *s = fx_snapshot();
	plan_item items[3] = { { root.c, PLAN_ROLE_ROOTCA, NULL }, { sub.c, PLAN_ROLE_NTAUTH, NULL },
	                       { sub.c, PLAN_ROLE_CROSSCA, NULL } };
	plan *p = NULL, *undo = NULL;
	adpki_error err;
	const char *t[1];
	char *text;
	size_t o;

	OK(plan_publish(s, items, 3, NULL, &p, &err) == ADPKI_OK, "publish plan");
	round_trip(p, "creates", true);
	text = ldif_of(p);
	OK(strstr(text, "changetype: add\nobjectClass: top\nobjectClass: certificationAuthority\n"
	           "cn: adpki Test Root CA\ncACertificate:: ") != NULL, "add record layout");
	OK(strstr(text, "authorityRevocationList:: AA==\ncertificateRevocationList:: AA==\n\n")
	   != NULL, "placeholders base64");
	OK(strstr(text, "version:") == NULL, "no version line");
	OK(strstr(text, "\ncACertificate: ") == NULL, "certificate values never plain");
	OK(strstr(text, sub.c->sha1) != NULL, "comment names the SHA-1");
	IS_INT(ldapmodify_records(text) == -2 ? 4 : ldapmodify_records(text), 4,
	       "ldapmodify -n parses the four records");
	free(text);
	plan_free(p);

	/* Existing objects: value-level modifies, placeholder delete. */
	o = fx_object(s, CONT_NTAUTH, NULL, 1);
	o = fx_object(s, CONT_AIA, root.c->ad_name, 1);
	fx_value(s, o, "cACertificate", sub.c);
	o = fx_object(s, CONT_ROOTCA, root.c->ad_name, 1);
	fx_value(s, o, "cACertificate", root.c);
	OK(plan_publish(s, items, 2, NULL, &p, &err) == ADPKI_OK, "modify plan");
	round_trip(p, "modifies", true);
	text = ldif_of(p);
	OK(strstr(text, "changetype: modify\nadd: cACertificate\ncACertificate:: ") != NULL,
	   "modify layout");
	OK(strstr(text, "-\ndelete: cACertificate\ncACertificate:: AA==\n-\n\n") != NULL,
	   "placeholder delete after the add, in the same record");
	free(text);
	plan_free(p);

	/* Removals: delete-object, keep-empty, and their undo. */
	t[0] = sub.c->sha1;
	OK(plan_remove(s, t, 1, CONT_MASK_ALL, false, &p, &err) == ADPKI_OK, "remove plan");
	round_trip(p, "removal", false);
	text = ldif_of(p);
	OK(strstr(text, "changetype: delete\n\n") != NULL, "delete record");
	free(text);
	OK(plan_invert(p, &undo, &err) == ADPKI_OK, "undo plan");
	round_trip(undo, "undo", true);
	plan_free(undo);
	plan_free(p);
	OK(plan_remove(s, t, 1, CONT_MASK_ALL, true, &p, &err) == ADPKI_OK, "keep-empty plan");
	round_trip(p, "keep-empty", true);
	plan_free(p);
	snapshot_free(s);
}

static void
test_hostile(void)
{
	snapshot *s = fx_snapshot();
	plan_item it = { evil.c, PLAN_ROLE_SUBCA, NULL };
	plan *p = NULL, *q = NULL, *h = plan_new();
	adpki_error err;
	char *text;
	plan_op *op;
	static const char *names[] = {
		"x\ndn: CN=Injected,CN=AIA," FX_PKS "\nchangetype: delete",
		"Comma, Inc.", "Back\\slash", "\"Quoted\"", "#hash", "plus+sign", "a=b",
		" leading and trailing ", ":colon", "<angle", "caf\xc3\xa9",
	};
	size_t i;

	OK(plan_publish(s, &it, 1, NULL, &p, &err) == ADPKI_OK, "publish hostile subject");
	text = ldif_of(p);
	check_format(text, "hostile subject");
	OK(strstr(text, "\ndn: CN=Injected") == NULL && strstr(text, "\nchangetype: delete") == NULL,
	   "subject cannot forge a record");
	OK(ldif_parse(text, strlen(text), "h.ldif", FX_PKS, &q, &err) == ADPKI_OK &&
	   same_ops(p, q, true), "hostile subject: reads back as the one intended record");
	i = (size_t)ldapmodify_records(text);
	OK(ldapmodify_records(text) == -2 || i == 1, "ldapmodify -n sees one record");
	plan_free(q);
	free(text);
	plan_free(p);

	/* Hostile object names, straight into DNs and cn. */
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *dn = store_object_dn(FX_PKS, CONT_AIA, names[i]);
		const unsigned char junk[3] = { 1, 2, 3 };
		op = plan_append_op(h, PLAN_CREATE_OBJECT, dn, CONT_AIA, names[i]);
		plan_op_add_value(op, "cACertificate", sub.c->der, sub.c->der_len, &err);
		plan_op_add_value(op, "authorityRevocationList", junk, 1, &err);
		plan_op_add_value(op, "certificateRevocationList", junk, 3, &err);
		op = plan_append_op(h, PLAN_ADD_VALUE, dn, CONT_AIA, names[i]);
		plan_op_add_value(op, "cACertificate", root.c->der, root.c->der_len, &err);
		op = plan_append_op(h, PLAN_DELETE_OBJECT, dn, CONT_AIA, names[i]);
		free(dn);
	}
	plan_recount(h);
	text = ldif_of(h);
	check_format(text, "hostile names");
	OK(strstr(text, "\ndn: CN=Injected") == NULL, "a name cannot forge a record");
	OK(strstr(text, "\ndn:: ") != NULL, "unsafe DNs base64");
	OK(strstr(text, "\ncn:: ") != NULL, "unsafe cn base64");
	OK(ldif_parse(text, strlen(text), "names.ldif", FX_PKS, &q, &err) == ADPKI_OK, "reads back");
	if (q == NULL)
		printf("#   %s\n", err.message);
	OK(q != NULL && same_ops(h, q, false), "every hostile name round-trips exactly");
	IS_INT(ldapmodify_records(text) == -2 ? 33 : ldapmodify_records(text), 33,
	       "ldapmodify -n parses 33 records");
	plan_free(q);
	free(text);
	plan_free(h);
	snapshot_free(s);
}

/* Parses text and expects a refusal mentioning "file:line" and what. */
static void
refuse(const char *text, unsigned line, const char *what, const char *label)
{
	plan *p = NULL;
	adpki_error err;
	char where[64], msg[200];
	adpki_result r = ldif_parse(text, strlen(text), "bad.ldif", FX_PKS, &p, &err);

	snprintf(where, sizeof where, "bad.ldif:%u:", line);
	snprintf(msg, sizeof msg, "refused: %s", label);
	OK(r == ADPKI_ERR_CONFIG && p == NULL, msg);
	snprintf(msg, sizeof msg, "message names file and line: %s", label);
	OK(r != ADPKI_OK && strncmp(err.message, where, strlen(where)) == 0 &&
	   strstr(err.message, what) != NULL, msg);
	if (r != ADPKI_OK && (strncmp(err.message, where, strlen(where)) != 0 ||
	                      strstr(err.message, what) == NULL))
		printf("#   message: %s\n#   wanted: %s ... %s\n", err.message, where, what);
	plan_free(p);
}

#define MOD(dn, body) "dn: " dn "\nchangetype: modify\n" body

static void
test_refusals(void)
{
	char *big, *many;
	size_t i, n, pos;
	plan *p = NULL;
	adpki_error err;

	refuse(MOD(AIA_DN("X"), "replace: cACertificate\ncACertificate:: AA==\n-\n"), 3,
	       "replace", "replace:");
	refuse(MOD(AIA_DN("X"), "add: description\ndescription: hi\n-\n"), 3,
	       "attribute not accepted", "other attribute");
	refuse(MOD(AIA_DN("X"), "add: cACertificate;binary\ncACertificate;binary:: AA==\n-\n"), 3,
	       "attribute not accepted", "attribute option");
	refuse(MOD("CN=X,CN=Users,DC=adpki,DC=test", "add: cACertificate\ncACertificate:: AA==\n"),
	       1, "outside", "DN outside Public Key Services");
	refuse(MOD("CN=Evil\\,CN=AIA," FX_PKS, "add: cACertificate\ncACertificate:: AA==\n"), 1,
	       "outside", "escaped comma is not a separator");
	refuse(MOD("CN=X,CN=AIA,CN=Public Key Services\\,CN=Services,CN=Configuration,"
	           "DC=adpki,DC=test", "add: cACertificate\ncACertificate:: AA==\n"), 1,
	       "outside", "escaped comma in the suffix");
	refuse(MOD("CN=X,CN=AIA,CN=Public Key Services,CN=Services,CN=Configuration,DC=adpki,"
	           "DC=test,DC=evil", "add: cACertificate\ncACertificate:: AA==\n"), 1,
	       "outside", "suffix plus more");
	refuse(MOD("CN=Y,CN=X,CN=AIA," FX_PKS, "add: cACertificate\ncACertificate:: AA==\n"), 1,
	       "outside", "too deep");
	refuse(MOD("CN=X+OU=Y,CN=AIA," FX_PKS, "add: cACertificate\ncACertificate:: AA==\n"), 1,
	       "outside", "multi-valued RDN");
	refuse(MOD("CN=X,CN=OID," FX_PKS, "add: cACertificate\ncACertificate:: AA==\n"), 1,
	       "outside", "other container");
	refuse("dn: " AIA_DN("X") "\nchangetype: modrdn\nnewrdn: CN=Y\ndeleteoldrdn: 1\n", 2,
	       "changetype not accepted", "modrdn");
	refuse(MOD(AIA_DN("X"), "add: cACertificate\ncACertificate:: AA=\n-\n"), 4,
	       "broken base64", "broken base64");
	refuse(" folded: nothing\n", 1, "bad folding", "continuation at the start");
	refuse(MOD(AIA_DN("X"), "add: cACertificate\ncACertificate:: AA==\n-\n\n continued\n"), 7,
	       "bad folding", "continuation after a blank line");
	refuse(MOD(AIA_DN("X"), "add: cACertificate\ncACertificate:< file:///etc/passwd\n-\n"), 4,
	       "URL", ":< URL");
	refuse("dn: " AIA_DN("X") "\nchangetype: delete\n\ndn: " AIA_DN("Y") "\n"
	       "cACertificate:: AA==\n", 5, "changetype", "content record");
	refuse("dn: " AIA_DN("X") "\ncontrol: 1.2.840.113556.1.4.1413\nchangetype: delete\n", 2,
	       "controls", "control");
	refuse("dn: CN=NTAuthCertificates," FX_PKS "\nchangetype: delete\n", 1,
	       "NTAuthCertificates never", "deleting NTAuth");
	refuse("dn: CN=AIA," FX_PKS "\nchangetype: delete\n", 1, "outside", "deleting a container");
	refuse(MOD(AIA_DN("X"), "delete: cACertificate\n-\n"), 3, "without values",
	       "delete of a whole attribute");
	refuse(MOD(AIA_DN("X"), "add: cACertificate\ncrossCertificatePair:: AA==\n-\n"), 4,
	       "another attribute", "value of another attribute");
	refuse("dn: " AIA_DN("X") "\nchangetype: add\nobjectClass: certificationAuthority\n"
	       "cn: Y\ncACertificate:: AA==\nauthorityRevocationList:: AA==\n"
	       "certificateRevocationList:: AA==\n", 4, "cn differs", "cn mismatch");
	refuse("dn: " AIA_DN("X") "\nchangetype: add\nobjectClass: certificationAuthority\n"
	       "cACertificate:: AA==\n", 1, "needs", "missing mandatory attributes");
	refuse("dn: " AIA_DN("X") "\nchangetype: add\nobjectClass: user\n", 3, "objectClass",
	       "other object class");
	refuse("dn: " AIA_DN("X") "\nchangetype: add\nobjectClass: certificationAuthority\n"
	       "userCertificate:: AA==\n", 4, "not accepted", "userCertificate in a new object");
	refuse("dn: CN=X,CN=KRA," FX_PKS "\nchangetype: add\nobjectClass: certificationAuthority\n",
	       1, "new objects", "new object in KRA");
	refuse("version: 2\ndn: " AIA_DN("X") "\nchangetype: delete\n", 1, "version", "version 2");
	refuse("dn: " AIA_DN("X") "\nchangetype: delete\ncn: X\n", 3, "nothing after",
	       "delete with content");
	refuse("dn: " AIA_DN("X") "\n", 1, "changetype", "dn alone");
	refuse("changetype: delete\n", 1, "dn:", "no dn");

	/* A value over AD's 32,768 bytes. */
	n = 40000;
	big = malloc(n * 2 + 200);
	strcpy(big, MOD(AIA_DN("X"), "add: cACertificate\ncACertificate:: "));
	i = strlen(big);
	memset(big + i, 'A', 43692);   /* 32769 bytes */
	strcpy(big + i + 43692, "\n-\n");
	refuse(big, 4, "too large", "value over 32768 bytes");
	memset(big + i, 'A', 43688);   /* 32766 bytes: accepted */
	strcpy(big + i + 43688, "\n-\n");
	OK(ldif_parse(big, strlen(big), "ok.ldif", FX_PKS, &p, &err) == ADPKI_OK,
	   "value of 32766 bytes accepted");
	plan_free(p);
	free(big);

	/* NUL byte and size bound. */
	OK(ldif_parse("dn: x\0y\n", 8, "nul.ldif", FX_PKS, &p, &err) == ADPKI_ERR_CONFIG &&
	   strstr(err.message, "NUL") != NULL, "NUL byte refused");
	big = calloc(1, (size_t)LDIF_FILE_MAX + 1);
	OK(ldif_parse(big, (size_t)LDIF_FILE_MAX + 1, "huge.ldif", FX_PKS, &p, &err) ==
	   ADPKI_ERR_CONFIG && strstr(err.message, "huge.ldif") != NULL, "file over 64 MiB refused");
	free(big);

	/* Record bound. */
	n = LDIF_RECORDS_MAX + 1;
	many = malloc(n * 120 + 1);
	for (i = 0, pos = 0; i < n; i++)
		pos += (size_t)sprintf(many + pos, "dn: CN=R%zu,CN=AIA," FX_PKS
		                       "\nchangetype: delete\n\n", i);
	OK(ldif_parse(many, strlen(many), "many.ldif", FX_PKS, &p, &err) == ADPKI_ERR_CONFIG &&
	   strstr(err.message, "too many records") != NULL, "too many records refused");
	free(many);
}

static void
test_hand_written(void)
{
	const char *text =
		"version: 1\r\n"
		"# an admin's plan\r\n"
		"#  with a folded\r\n"
		"  comment\r\n"
		"dn: cn=Hand Made,cn=aia,cn=public key services,cn=services,\r\n"
		" cn=configuration,dc=ADPKI,dc=test\r\n"
		"changetype: modify\r\n"
		"add: cacertificate\r\n"
		"cACertificate:: AA==\r\n"
		"-\r\n"
		"delete: CACERTIFICATE\r\n"
		"cacertificate:: AQID\r\n"
		"\r\n"
		"\r\n"
		"dn: CN=Evil\\,CN=AIA,CN=AIA," FX_PKS "\n"
		"changetype: delete\n"
		"\n"
		"dn: CN=Old CA,CN=Certification Authorities," FX_PKS "\n"
		"changetype: delete\n";
	plan *p = NULL;
	adpki_error err;

	OK(ldif_parse(text, strlen(text), "hand.ldif", FX_PKS, &p, &err) == ADPKI_OK,
	   "hand-written plan accepted (CRLF, case, version, folded comment, no final '-')");
	if (p == NULL) {
		printf("#   %s\n", err.message);
		return;
	}
	IS_INT(p->op_count, 4, "four operations");
	IS_INT(p->ops[0].kind, PLAN_ADD_VALUE, "add");
	IS_STR(p->ops[0].object, "Hand Made", "name from the DN");
	IS_INT(p->ops[0].container, CONT_AIA, "container from the DN");
	OK(p->ops[0].values[0].placeholder, "placeholder recognized");
	IS_INT(p->ops[1].kind, PLAN_DELETE_VALUE, "delete");
	IS_INT(p->ops[1].values[0].len, 3, "value bytes");
	IS_STR(p->ops[2].object, "Evil,CN=AIA", "escaped comma stays inside the name");
	IS_INT(p->ops[2].container, CONT_AIA, "and the object is in AIA");
	IS_INT(p->ops[3].container, CONT_ROOTCA, "Certification Authorities");
	OK(!p->ops[3].values_known, "delete record: values unknown");
	plan_free(p);
}

static void
test_resolve_and_render(void)
{
	snapshot *s = fx_snapshot();
	size_t o = fx_object(s, CONT_AIA, root.c->ad_name, 1);
	char *text, *diff = NULL;
	size_t dlen = 0;
	plan *p = NULL, *q = NULL, *u = NULL;
	adpki_error err;
	FILE *f;
	const char *t[1] = { root.c->sha1 };

	fx_value(s, o, "cACertificate", root.c);
	OK(plan_remove(s, t, 1, CONT_MASK_ALL, false, &p, &err) == ADPKI_OK, "remove");
	text = ldif_of(p);
	OK(ldif_parse(text, strlen(text), "r.ldif", FX_PKS, &q, &err) == ADPKI_OK, "read back");
	OK(plan_invert(q, &u, &err) != ADPKI_OK && u == NULL,
	   "undo of an unresolved LDIF delete refused");
	OK(plan_resolve_deletes(q, s, &err) == ADPKI_OK, "resolve against the snapshot");
	OK(same_ops(p, q, true), "resolved plan equals the planned one");
	f = open_memstream(&diff, &dlen);
	plan_render_diff(q, f, &err);
	fclose(f);
	OK(strstr(diff, root.c->sha1) != NULL, "apply -n shows the decoded certificate");
	free(diff);
	free(text);
	plan_free(p);
	plan_free(q);
	snapshot_free(s);
}

int
main(void)
{
	now = time(NULL);
	root = fx_make("adpki Test Root CA", true, NULL, now + 15 * YEAR);
	sub = fx_make("adpki Test Issuing CA", true, &root, now + 5 * YEAR);
	evil = fx_make("Evil\ndn: CN=Injected,CN=AIA," FX_PKS "\nchangetype: delete\n# \"q\" + = "
	               "\\ , ; < > # " "a very long subject to force wrapping of the comment lines "
	               "in the plan file beyond seventy-eight characters", true, NULL,
	               now + YEAR);

	test_base64();
	test_round_trips();
	test_hostile();
	test_refusals();
	test_hand_written();
	test_resolve_and_render();

	fx_free(&root);
	fx_free(&sub);
	fx_free(&evil);
	return tap_done();
}
