/* test-cert.c - certificate loading: every input format, the facts of known
 * samples (SHA-1 values computed independently with openssl and hard-coded
 * here), and every malformed input refused with the file name in the
 * message.  Files come from $SAMPLES and $top_srcdir/tests/data. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adname.h"
#include "cert.h"
#include "tap.h"

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

static const char *
sample(const char *name)
{
	static char path[4][1200];
	static int slot;

	slot = (slot + 1) % 4;
	snprintf(path[slot], sizeof path[slot], "%s/%s", samples_dir, name);
	return path[slot];
}

static const char *
data(const char *name)
{
	static char path[4][1200];
	static int slot;

	slot = (slot + 1) % 4;
	snprintf(path[slot], sizeof path[slot], "%s/%s", data_dir, name);
	return path[slot];
}

/* Loads path, expecting success and count certificates. */
static int
load_ok(const char *path, size_t count, cert_list *list)
{
	adpki_error err = { 0, "" };
	adpki_result r;
	char what[1400];

	list->items = NULL;
	list->count = 0;
	r = cert_load_file(path, list, &err);
	snprintf(what, sizeof what, "%s loads", path);
	if (!OK(r == ADPKI_OK, what))
		printf("#   error: %s\n", err.message);
	snprintf(what, sizeof what, "%s holds %zu certificate(s)", path, count);
	IS_INT(list->count, count, what);
	return r == ADPKI_OK && list->count == count;
}

static void
time_is(time_t t, const char *want, const char *what)
{
	char buf[32];

	cert_format_time(t, buf, sizeof buf);
	IS_STR(buf, want, what);
}

/* The known facts of the samples. */
typedef struct {
	const char *subject, *issuer, *cn, *serial, *sha1;
	const char *not_before, *not_after, *sig_alg;
	int is_ca, self_signed, sig_is_sha1;
	size_t der_len;
} known;

static const known root = {
	"CN=adpki Sample Root CA,O=adpki samples", "CN=adpki Sample Root CA,O=adpki samples",
	"adpki Sample Root CA", "03E9", "336B0F61A0DE77677B7EE6A019C6D9A88DEFB76A",
	"2026-01-01T00:00:00Z", "2046-01-01T00:00:00Z", "RSA-SHA256", 1, 1, 0, 816,
};
static const known issuing = {
	"CN=adpki Sample Issuing CA,O=adpki samples", "CN=adpki Sample Root CA,O=adpki samples",
	"adpki Sample Issuing CA", "07D1", "57EDE6145FCAC62DD0280E522DCB48AFBC280B54",
	"2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z", "RSA-SHA256", 1, 0, 0, 855,
};
static const known web = {
	"CN=adpki Sample Web Server,O=adpki samples", "CN=adpki Sample Issuing CA,O=adpki samples",
	"adpki Sample Web Server", "0BB9", "1FDF83A9D3A8C5ED880AD4DEA12A5C37293D972A",
	"2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z", "RSA-SHA256", 0, 0, 0, 905,
};
static const known expired = {
	"CN=adpki Sample Expired CA,O=adpki samples", "CN=adpki Sample Expired CA,O=adpki samples",
	"adpki Sample Expired CA", "0FA1", "31C085AC301FEFCF2596EDD141A0F2CC61EA07FC",
	"2010-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "RSA-SHA256", 1, 1, 0, 822,
};
static const known digicert = {
	"CN=DigiCert Global Root CA,OU=www.digicert.com,O=DigiCert Inc,C=US",
	"CN=DigiCert Global Root CA,OU=www.digicert.com,O=DigiCert Inc,C=US",
	"DigiCert Global Root CA", "083BE056904246B1A1756AC95991C74A",
	"A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436",
	"2006-11-10T00:00:00Z", "2031-11-10T00:00:00Z", "RSA-SHA1", 1, 1, 1, 947,
};
static const known digicert_g2 = {
	"CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US",
	"CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US",
	"DigiCert Global Root G2", "033AF1E6A711A9A0BB2864B11D09FAE5",
	"DF3C24F9BFD666761B268073FE06D1CC8D4F82A4",
	"2013-08-01T12:00:00Z", "2038-01-15T12:00:00Z", "RSA-SHA256", 1, 1, 0, 914,
};

static void
check_known(const cert *c, const known *k, const char *source)
{
	char what[256];

#define W(s) (snprintf(what, sizeof what, "%s: %s", k->cn, s), what)
	IS_STR(c->subject, k->subject, W("subject"));
	IS_STR(c->issuer, k->issuer, W("issuer"));
	IS_STR(c->common_name, k->cn, W("common name"));
	IS_STR(c->ad_name, k->cn, W("AD name (plain CN is kept)"));
	IS_STR(c->serial, k->serial, W("serial"));
	IS_STR(c->sha1, k->sha1, W("SHA-1 thumbprint"));
	time_is(c->not_before, k->not_before, W("notBefore"));
	time_is(c->not_after, k->not_after, W("notAfter"));
	IS_STR(c->sig_alg, k->sig_alg, W("signature algorithm"));
	IS_INT(c->sig_is_sha1, k->sig_is_sha1, W("SHA-1 signature flag"));
	IS_INT(c->sig_is_pss, 0, W("not PSS"));
	IS_INT(c->is_ca, k->is_ca, W("CA flag"));
	IS_INT(c->self_signed, k->self_signed, W("self-signed flag"));
	IS_INT(c->der_len, k->der_len, W("DER length"));
	IS_INT(c->key_kind, CERT_KEY_RSA, W("RSA key"));
	IS_STR(c->key_type, "RSA", W("key type"));
	IS_INT(c->key_bits, 2048, W("2048 bits"));
	IS_INT(strlen(c->sha256), 64, W("SHA-256 is 64 hex digits"));
	IS_STR(c->source, source, W("source"));
#undef W
}

static void
test_samples(void)
{
	cert_list l;

	if (load_ok(sample("sample-root-ca.cer"), 1, &l)) {
		check_known(l.items[0], &root, sample("sample-root-ca.cer"));
		IS_STR(l.items[0]->sha256,
		       "4BDD2E014C5D5A981AC1AA60BA3827481AA06E01D1D5B591788773D23E5E16A7",
		       "root: SHA-256 thumbprint");
	}
	cert_list_clear(&l);
	if (load_ok(sample("sample-root-ca-base64.cer"), 1, &l))
		check_known(l.items[0], &root, sample("sample-root-ca-base64.cer"));
	cert_list_clear(&l);
	if (load_ok(sample("sample-issuing-ca.cer"), 1, &l))
		check_known(l.items[0], &issuing, sample("sample-issuing-ca.cer"));
	cert_list_clear(&l);
	if (load_ok(sample("sample-issuing-ca-base64.cer"), 1, &l))
		check_known(l.items[0], &issuing, sample("sample-issuing-ca-base64.cer"));
	cert_list_clear(&l);
	if (load_ok(sample("sample-web-server.cer"), 1, &l))
		check_known(l.items[0], &web, sample("sample-web-server.cer"));
	cert_list_clear(&l);
	if (load_ok(sample("sample-expired-ca.cer"), 1, &l))
		check_known(l.items[0], &expired, sample("sample-expired-ca.cer"));
	cert_list_clear(&l);
	if (load_ok(sample("digicert-global-root-ca.crt"), 1, &l))
		check_known(l.items[0], &digicert, sample("digicert-global-root-ca.crt"));
	cert_list_clear(&l);
	if (load_ok(sample("digicert-global-root-ca.cer"), 1, &l))
		check_known(l.items[0], &digicert, sample("digicert-global-root-ca.cer"));
	cert_list_clear(&l);
	if (load_ok(sample("digicert-global-root-g2.crt"), 1, &l))
		check_known(l.items[0], &digicert_g2, sample("digicert-global-root-g2.crt"));
	cert_list_clear(&l);
}

/* Bundles: every certificate, in order, named file[i]. */
static void
test_bundles(void)
{
	static const char *const files[] = {
		"sample-chain.p7b", "sample-chain-pem.p7b", "sample-chain.pem",
	};
	size_t i;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		cert_list l;
		char src[1300];

		if (load_ok(sample(files[i]), 2, &l)) {
			/* PKCS#7 keeps no order guarantee; openssl writes them in file order. */
			const cert *r = strcmp(l.items[0]->sha1, root.sha1) == 0 ? l.items[0] : l.items[1];
			const cert *s = r == l.items[0] ? l.items[1] : l.items[0];

			snprintf(src, sizeof src, "%s[%d]", sample(files[i]), r == l.items[0] ? 0 : 1);
			check_known(r, &root, src);
			snprintf(src, sizeof src, "%s[%d]", sample(files[i]), s == l.items[0] ? 0 : 1);
			check_known(s, &issuing, src);
		}
		cert_list_clear(&l);
	}
}

/* PEM variants and unusual certificates that must load. */
static void
test_variants(void)
{
	cert_list l;
	char *expect;

	if (load_ok(data("cert/x509-label.pem"), 1, &l))
		IS_STR(l.items[0]->sha1, digicert_g2.sha1, "'X509 CERTIFICATE' label");
	cert_list_clear(&l);
	if (load_ok(data("cert/comments.pem"), 1, &l))
		IS_STR(l.items[0]->sha1, digicert_g2.sha1, "text around PEM blocks is ignored");
	cert_list_clear(&l);
	if (load_ok(data("cert/zero-comment.pem"), 1, &l))
		IS_STR(l.items[0]->sha1, digicert_g2.sha1, "PEM whose first byte is '0'");
	cert_list_clear(&l);
	if (load_ok(data("cert/trusted.pem"), 1, &l))
		IS_STR(l.items[0]->sha1, root.sha1,
		       "'TRUSTED CERTIFICATE': the certificate without OpenSSL's trust settings");
	cert_list_clear(&l);

	if (load_ok(data("cert/no-cn-ca.cer"), 1, &l)) {
		IS_STR(l.items[0]->subject, "OU=Lab,O=adpki No CN", "no CN: subject");
		OK(l.items[0]->common_name == NULL, "no CN: common_name is NULL");
		expect = adname_short_name("OU=Lab,O=adpki No CN");
		IS_STR(l.items[0]->ad_name, expect, "no CN: AD name from the whole subject");
		free(expect);
		OK(l.items[0]->self_signed, "no CN: self-signed");
	}
	cert_list_clear(&l);
	if (load_ok(data("cert/empty-subject-ca.cer"), 1, &l)) {
		IS_STR(l.items[0]->subject, "", "empty subject");
		OK(l.items[0]->common_name == NULL, "empty subject: no CN");
		expect = adname_short_name(l.items[0]->sha1);
		IS_STR(l.items[0]->ad_name, expect, "empty subject: AD name from the SHA-1");
		free(expect);
		OK(l.items[0]->self_signed, "empty subject: self-signed");
	}
	cert_list_clear(&l);
	if (load_ok(data("cert/utf8-cn-ca.cer"), 1, &l))
		IS_STR(l.items[0]->common_name, "adpki Caf\xc3\xa9 CA", "UTF8String CN");
	cert_list_clear(&l);
	if (load_ok(data("cert/bmp-cn-ca.cer"), 1, &l))
		IS_STR(l.items[0]->common_name, "adpki BMP \xce\xa9mega CA", "BMPString CN as UTF-8");
	cert_list_clear(&l);
	if (load_ok(data("cert/hash-cn-ca.cer"), 1, &l))
		IS_STR(l.items[0]->common_name, "#adpki Hash CA", "CN starting with '#' unescaped");
	cert_list_clear(&l);
	if (load_ok(data("cert/comma-cn-ca.cer"), 1, &l)) {
		IS_STR(l.items[0]->common_name, "adpki, Comma CA", "CN with a comma unescaped");
		IS_STR(l.items[0]->subject, "CN=adpki\\, Comma CA", "subject is RFC 4514 escaped");
	}
	cert_list_clear(&l);
	if (load_ok(data("cert/same-name-other-key.cer"), 1, &l)) {
		IS_STR(l.items[0]->issuer, l.items[0]->subject, "twin: issuer name == subject name");
		OK(!l.items[0]->self_signed, "twin: signed by another key, so not self-signed");
	}
	cert_list_clear(&l);
	if (load_ok(data("cert/bad-signature.cer"), 1, &l)) {
		IS_STR(l.items[0]->issuer, l.items[0]->subject, "broken signature: issuer == subject");
		OK(!l.items[0]->self_signed, "broken signature: not self-signed");
	}
	cert_list_clear(&l);
	if (load_ok(data("lint/ecdsa-p256-ca.cer"), 1, &l)) {
		IS_INT(l.items[0]->key_kind, CERT_KEY_EC, "ECDSA key kind");
		IS_STR(l.items[0]->key_type, "EC/ECDSA (secp256r1)", "ECDSA key type");
		IS_INT(l.items[0]->key_bits, 256, "ECDSA key bits");
		IS_STR(l.items[0]->sig_alg, "ECDSA-SHA256", "ECDSA signature");
		OK(l.items[0]->self_signed, "ECDSA self-signed");
	}
	cert_list_clear(&l);
	if (load_ok(data("lint/rsa-pss-ca.cer"), 1, &l)) {
		IS_STR(l.items[0]->sig_alg, "RSA-PSS-SHA256", "PSS signature name");
		OK(l.items[0]->sig_is_pss, "PSS flag");
		OK(!l.items[0]->sig_is_sha1, "PSS-SHA256 is not SHA-1");
		OK(l.items[0]->self_signed, "PSS self-signed verifies");
	}
	cert_list_clear(&l);
	if (load_ok(data("lint/rsa4096-sha256-ca.cer"), 1, &l))
		IS_INT(l.items[0]->key_bits, 4096, "RSA 4096 bits");
	cert_list_clear(&l);
}

/* Expects path to fail with ADPKI_ERR_CONFIG, the path and want in the
 * message, and the list untouched. */
static void
load_bad(const char *path, const char *want)
{
	adpki_error err = { 0, "" };
	cert_list l = { NULL, 0 };
	adpki_result r;
	char what[1400];

	/* A list that already holds a certificate must stay as it was. */
	r = cert_load_file(sample("sample-root-ca.cer"), &l, &err);
	if (r != ADPKI_OK) {
		OK(0, "setup: load the sample root");
		return;
	}
	r = cert_load_file(path, &l, &err);
	snprintf(what, sizeof what, "%s is refused (config error)", path);
	IS_INT(r, ADPKI_ERR_CONFIG, what);
	snprintf(what, sizeof what, "%s: message names the file", path);
	if (!OK(strstr(err.message, path) != NULL, what))
		printf("#   message: %s\n", err.message);
	snprintf(what, sizeof what, "%s: message says '%s'", path, want);
	if (!OK(strstr(err.message, want) != NULL, what))
		printf("#   message: %s\n", err.message);
	snprintf(what, sizeof what, "%s: the list is unchanged", path);
	IS_INT(l.count, 1, what);
	cert_list_clear(&l);
}

static void
test_bad_files(void)
{
	static const struct { const char *file, *want; } bad[] = {
		{ "bad/empty.cer", "empty file" },
		{ "bad/whitespace.pem", "empty file" },
		{ "bad/truncated.cer", "truncated or malformed DER" },
		{ "bad/absurd-length.cer", "truncated or malformed DER" },
		{ "bad/trailing-garbage.cer", "12 bytes of trailing data after the certificate" },
		{ "bad/random.bin", "not a certificate" },
		{ "bad/bad-base64.pem", "bad base64" },
		{ "bad/wrong-label.pem", "PEM block 'CERTIFICATE PLEASE' is not a certificate" },
		{ "bad/mismatched-end.pem", "does not end with '-----END CERTIFICATE-----'" },
		{ "bad/missing-end.pem", "no END line" },
		{ "bad/private-key.pem", "PEM block 'PRIVATE KEY' is a private key, not a certificate" },
		{ "bad/rsa-private-key.pem", "is a private key" },
		{ "bad/private-key.der", "a private key, not a certificate" },
		{ "bad/cert-and-key.pem", "is a private key" },
		{ "bad/binary-after-pem.pem", "binary data outside the PEM blocks" },
		{ "bad/no-certs.p7b", "PKCS#7 contains no certificates" },
		{ "bad/no-certs-pem.p7b", "contains no certificates" },
		{ "bad/crl.crl", "a CRL, not a certificate" },
		{ "bad/crl.pem", "is a CRL" },
		{ "bad/request.pem", "certificate request" },
		{ "bad/request.der", "certificate request" },
		{ "bad/bundle.p12", "PKCS#12" },
		{ "bad/utf16.cer", "UTF-16" },
		{ "bad/cn-nul.cer", "CN is not valid text" },
		{ "bad/cn-nul-utf8.cer", "CN is not valid text" },
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		load_bad(data(bad[i].file), bad[i].want);
	load_bad(data("no-such-file.cer"), "cannot open");
}

/* Directory, FIFO and an oversized (sparse) file are refused at once. */
static void
test_special_files(void)
{
	char dir[] = "/tmp/adpki-test-cert.XXXXXX";
	char fifo[64], big[64];
	int fd;

	if (mkdtemp(dir) == NULL) {
		OK(0, "mkdtemp");
		return;
	}
	load_bad(dir, "is a directory");
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	if (OK(mkfifo(fifo, 0600) == 0, "mkfifo"))
		load_bad(fifo, "is a FIFO");  /* would hang here if it opened blocking */
	snprintf(big, sizeof big, "%s/big.cer", dir);
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (OK(fd >= 0 && ftruncate(fd, (off_t)CERT_FILE_MAX + 1) == 0, "sparse oversized file")) {
		char want[64];

		snprintf(want, sizeof want, "larger than %u bytes", CERT_FILE_MAX);
		load_bad(big, want);
	}
	if (fd >= 0)
		close(fd);
	load_bad("/dev/null", "is a device");
	unlink(big);
	unlink(fifo);
	rmdir(dir);
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = malloc(65536);

	*len = 0;
	if (f == NULL || buf == NULL) {
		if (f != NULL)
			fclose(f);
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

/* cert_from_der and cert_load_buffer directly. */
static void
test_der_and_buffer(void)
{
	adpki_error err = { 0, "" };
	size_t len = 0;
	unsigned char *der = slurp(sample("sample-root-ca.cer"), &len);
	unsigned char *longer;
	cert *c = NULL;
	cert_list l = { NULL, 0 };

	if (!OK(der != NULL && len == root.der_len, "read the sample root DER")) {
		free(der);
		return;
	}
	IS_INT(cert_from_der(der, len, "ldap:cACertificate[0]", &c, &err), ADPKI_OK,
	       "cert_from_der: exact DER");
	if (c != NULL) {
		IS_STR(c->source, "ldap:cACertificate[0]", "cert_from_der: source kept");
		IS_STR(c->sha1, root.sha1, "cert_from_der: SHA-1");
		OK(memcmp(c->der, der, len) == 0 && c->der_len == len, "cert_from_der: DER copied");
		OK(c->self_signed && c->self_signed_checked, "cert_from_der: self-signature checked");
	}
	/* The brief decode: every fact of the full one but the self-signature. */
	{
		cert *b = NULL;
		IS_INT(cert_from_der_brief(der, len, "brief", &b, &err), ADPKI_OK,
		       "cert_from_der_brief");
		if (b != NULL && c != NULL) {
			IS_STR(b->sha1, c->sha1, "brief: SHA-1");
			IS_STR(b->subject, c->subject, "brief: subject");
			OK(b->is_ca == c->is_ca && b->not_after == c->not_after &&
			   b->not_before == c->not_before && b->key_bits == c->key_bits &&
			   b->sig_is_sha1 == c->sig_is_sha1 && strcmp(b->ad_name, c->ad_name) == 0 &&
			   strcmp(b->sig_alg, c->sig_alg) == 0 && strcmp(b->serial, c->serial) == 0,
			   "brief: CA-ness, dates, key, signature, serial and AD name as the full decode");
			OK(!b->self_signed && !b->self_signed_checked, "brief: self-signature not checked");
		}
		cert_free(b);
	}
	cert_free(c);
	c = NULL;
	IS_INT(cert_from_der_brief(der, len - 1, "brief", &c, &err), ADPKI_ERR_CONFIG,
	       "cert_from_der_brief: one byte short fails as cert_from_der does");
	OK(c == NULL && strncmp(err.message, "brief", 5) == 0, "brief: message starts with the source");

	IS_INT(cert_from_der(der, len - 1, "value-A", &c, &err), ADPKI_ERR_CONFIG,
	       "cert_from_der: one byte short");
	OK(c == NULL, "cert_from_der: no certificate on error");
	OK(strstr(err.message, "value-A: truncated or malformed DER") == err.message,
	   "cert_from_der: message starts with the source");
	longer = malloc(len + 1);
	if (longer != NULL) {
		memcpy(longer, der, len);
		longer[len] = 0;
		IS_INT(cert_from_der(longer, len + 1, "value-B", &c, &err), ADPKI_ERR_CONFIG,
		       "cert_from_der: one byte too many");
		IS_STR(err.message, "value-B: 1 bytes of trailing data after the certificate",
		       "cert_from_der: trailing byte message");
		free(longer);
	}
	IS_INT(cert_from_der(der, 0, "value-C", &c, &err), ADPKI_ERR_CONFIG,
	       "cert_from_der: empty");

	/* cert_load_buffer appends after what the list holds. */
	IS_INT(cert_load_buffer(der, len, "first", &l, &err), ADPKI_OK, "buffer: DER");
	IS_INT(cert_load_buffer(der, len, "second", &l, &err), ADPKI_OK, "buffer: again");
	IS_INT(l.count, 2, "buffer: appended");
	if (l.count == 2)
		IS_STR(l.items[1]->source, "second", "buffer: label is the source");
	IS_INT(cert_load_buffer((const unsigned char *)"hello", 5, "label-X", &l, &err),
	       ADPKI_ERR_CONFIG, "buffer: text that is not PEM");
	OK(strncmp(err.message, "label-X: ", 9) == 0, "buffer: message names the label");
	IS_INT(l.count, 2, "buffer: unchanged after an error");
	cert_list_clear(&l);
	OK(l.count == 0 && l.items == NULL, "cert_list_clear empties");
	free(der);
}

static void
test_crl(void)
{
	adpki_error err = { 0, "" };
	crl_info crl;
	size_t len = 0;
	unsigned char *der = slurp(data("bad/crl.crl"), &len);

	if (!OK(der != NULL && len > 0, "read the sample CRL"))
		return;
	IS_INT(crl_from_der(der, len, "cdp", &crl, &err), ADPKI_OK, "crl_from_der");
	IS_STR(crl.issuer, "CN=adpki Sample Root CA,O=adpki samples", "CRL issuer");
	time_is(crl.this_update, "2026-02-01T00:00:00Z", "CRL thisUpdate");
	time_is(crl.next_update, "2026-03-01T00:00:00Z", "CRL nextUpdate");
	IS_STR(crl.sha1, "FAD3EDFABFE9C527771F8FDE66853F969CECFF15", "CRL SHA-1");
	crl_info_clear(&crl);
	OK(crl.issuer == NULL, "crl_info_clear");
	IS_INT(crl_from_der(der, len - 3, "cdp-short", &crl, &err), ADPKI_ERR_CONFIG,
	       "truncated CRL");
	OK(strstr(err.message, "cdp-short") != NULL, "truncated CRL: message names it");
	free(der);

	der = slurp(sample("sample-root-ca.cer"), &len);
	if (der != NULL) {
		IS_INT(crl_from_der(der, len, "cdp-cert", &crl, &err), ADPKI_ERR_CONFIG,
		       "a certificate is not a CRL");
		OK(crl.issuer == NULL, "no issuer left after a failure");
		free(der);
	}
}

static void
test_format_time(void)
{
	char buf[32];

	time_is(0, "1970-01-01T00:00:00Z", "epoch");
	time_is(2398377600, "2046-01-01T00:00:00Z", "after 2038");
	cert_format_time(1577836800, buf, 21);
	IS_STR(buf, "2020-01-01T00:00:00Z", "21 bytes are enough");
}

int
main(void)
{
	setup_dirs();
	test_samples();
	test_bundles();
	test_variants();
	test_bad_files();
	test_special_files();
	test_der_and_buffer();
	test_crl();
	test_format_time();
	return tap_done();
}
