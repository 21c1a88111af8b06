/* test-lint.c - each lint warning fires exactly when it should, on real
 * certificates (samples/ and tests/data/lint/) at fixed points in time. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "lint.h"
#include "tap.h"

/* 2030-06-01T00:00:00Z: every sample and lint CA is valid then except the
 * expired one. */
#define T2030 ((time_t)1906502400)

static char samples_dir[1024];
static char data_dir[1024];

static void
setup_dirs(void)
{
	const char *top = getenv("top_srcdir");
	const char *samples = getenv("SAMPLES");

	snprintf(samples_dir, sizeof samples_dir, "%s", samples && *samples ? samples : "samples");
	snprintf(data_dir, sizeof data_dir, "%s/tests/data", top && *top ? top : ".");
}

/* The warning codes for c at now, comma-separated, into buf. */
static const char *
codes(const cert *c, time_t now, char *buf, size_t size)
{
	lint_warning w[LINT_MAX_WARNINGS];
	size_t n = lint_cert(c, now, w), i;

	buf[0] = '\0';
	for (i = 0; i < n && i < LINT_MAX_WARNINGS; i++) {
		strncat(buf, i ? "," : "", size - strlen(buf) - 1);
		strncat(buf, w[i].code, size - strlen(buf) - 1);
	}
	return buf;
}

/* Loads dir/name (one certificate) and checks its warnings at now. */
static void
expect(const char *dir, const char *name, time_t now, const char *want)
{
	char path[1200], what[1400], got[256];
	adpki_error err = { 0, "" };
	cert_list l = { NULL, 0 };

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (cert_load_file(path, &l, &err) != ADPKI_OK || l.count != 1) {
		snprintf(what, sizeof what, "load %s", path);
		OK(0, what);
		printf("#   %s\n", err.message);
		cert_list_clear(&l);
		return;
	}
	snprintf(what, sizeof what, "%s: warnings [%s]", name, want);
	IS_STR(codes(l.items[0], now, got, sizeof got), want, what);
	cert_list_clear(&l);
}

static void
test_files(void)
{
	const char *s = samples_dir;
	char lint[1100];

	snprintf(lint, sizeof lint, "%s/lint", data_dir);

	/* SHA-1, RSA 2048, CA, valid: nothing to say. */
	expect(s, "digicert-global-root-ca.crt", T2030, "");
	expect(lint, "rsa2048-sha1-ca.cer", T2030, "");
	/* SHA-2 with RSA 2048: only the Lync Phone Edition firmware note. */
	expect(s, "sample-root-ca.cer", T2030, "legacy-sha256");
	expect(s, "digicert-global-root-g2.crt", T2030, "legacy-sha256");
	expect(s, "sample-web-server.cer", T2030, "not-ca,legacy-sha256");
	expect(s, "sample-expired-ca.cer", T2030, "expired,legacy-sha256");
	expect(s, "sample-expired-ca.cer", (time_t)1420070400 /* 2015 */, "legacy-sha256");
	expect(s, "sample-root-ca.cer", (time_t)1735689600 /* 2025 */, "not-yet-valid,legacy-sha256");
	/* Boundaries: valid at notBefore and at notAfter, not a second outside. */
	expect(s, "sample-root-ca.cer", (time_t)1767225600, "legacy-sha256");
	expect(s, "sample-root-ca.cer", (time_t)1767225599, "not-yet-valid,legacy-sha256");
	expect(s, "sample-root-ca.cer", (time_t)2398377600, "legacy-sha256");
	expect(s, "sample-root-ca.cer", (time_t)2398377601, "expired,legacy-sha256");

	expect(lint, "rsa4096-sha256-ca.cer", T2030, "legacy-rsa-key-size,legacy-sha256");
	/* The key-size problem is a SHA-2 one: RSA 4096 with SHA-1 is fine. */
	expect(lint, "rsa4096-sha1-ca.cer", T2030, "");
	expect(lint, "rsa-pss-ca.cer", T2030, "legacy-pss,legacy-sha256");
	expect(lint, "ecdsa-p256-ca.cer", T2030, "legacy-sha256,legacy-ecdsa");
	expect(lint, "too-large-ca.cer", (time_t)2208988800 /* 2040 */, "too-large,legacy-sha256");
}

/* Synthetic facts: the limits and combinations no real file shows. */
static void
test_synthetic(void)
{
	cert c;
	char got[256];
	lint_warning w[LINT_MAX_WARNINGS];
	size_t n, i;

	memset(&c, 0, sizeof c);
	c.is_ca = true;
	c.not_before = 100;
	c.not_after = 200;
	c.key_kind = CERT_KEY_RSA;
	c.key_bits = 2048;
	c.sig_is_sha1 = true;
	c.der_len = CERT_AD_VALUE_MAX;
	IS_STR(codes(&c, 150, got, sizeof got), "", "exactly 32768 bytes is allowed");
	c.der_len = CERT_AD_VALUE_MAX + 1;
	IS_STR(codes(&c, 150, got, sizeof got), "too-large", "32769 bytes is too large");
	c.der_len = 900;
	c.key_bits = 2049;
	c.sig_is_sha1 = false;
	IS_STR(codes(&c, 150, got, sizeof got), "legacy-rsa-key-size,legacy-sha256",
	       "RSA 2049 bits with SHA-2");
	c.key_bits = 2048;
	IS_STR(codes(&c, 150, got, sizeof got), "legacy-sha256", "RSA 2048 bits with SHA-2");
	c.key_kind = CERT_KEY_EC;
	c.key_bits = 384;
	c.sig_is_sha1 = true;  /* ECDSA-SHA1: odd but possible */
	IS_STR(codes(&c, 150, got, sizeof got), "legacy-ecdsa", "ECDSA key alone");

	/* Everything at once, with notBefore after notAfter. */
	c.is_ca = false;
	c.not_before = 300;
	c.not_after = 200;
	c.der_len = 40000;
	c.key_kind = CERT_KEY_RSA;
	c.key_bits = 4096;
	c.sig_is_pss = true;
	c.sig_is_sha1 = false;
	n = lint_cert(&c, 250, w);
	IS_INT(n, 7, "all RSA warnings together");
	OK(n <= LINT_MAX_WARNINGS, "within LINT_MAX_WARNINGS");
	IS_STR(codes(&c, 250, got, sizeof got),
	       "not-ca,expired,not-yet-valid,too-large,legacy-rsa-key-size,legacy-pss,legacy-sha256",
	       "stable order");
	for (i = 0; i < n; i++) {
		char what[128];

		snprintf(what, sizeof what, "%s: text is one line under 70 characters", w[i].code);
		OK(w[i].text != NULL && w[i].text[0] != '\0' && strlen(w[i].text) < 70 &&
		   strchr(w[i].text, '\n') == NULL, what);
	}
	c.key_kind = CERT_KEY_EC;
	n = lint_cert(&c, 250, w);
	IS_STR(w[n - 1].code, "legacy-ecdsa", "ECDSA warning code");
	OK(strlen(w[n - 1].text) < 70, "legacy-ecdsa: text under 70 characters");
}

int
main(void)
{
	setup_dirs();
	test_files();
	test_synthetic();
	return tap_done();
}
