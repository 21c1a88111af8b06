/* lint.c - warnings about a certificate before it is published forest-wide
 * (see lint.h).  Pure: looks only at the facts cert.c computed and at the
 * time it is given.
 *
 * Device facts behind the legacy-* warnings (public write-ups, collected in
 * the project's notes): Lync/Communicator Phone Edition devices install the
 * CA certificates published in AD; Lync Phone Edition understands SHA-256
 * signatures only from CU7 (4.0.7577) on and rejects RSASSA-PSS; Polycom
 * CX700 loops at sign-in on a SHA-2 root with a 4096-bit RSA key; nothing
 * public says whether they handle ECDSA. */
#include "config.h"
#include "lint.h"

static size_t
add(lint_warning *out, size_t n, const char *code, const char *text)
{
	if (n >= LINT_MAX_WARNINGS)
		return n;
	out[n].code = code;
	out[n].text = text;
	return n + 1;
}

size_t
lint_cert(const cert *c, time_t now, lint_warning *out)
{
	/* "SHA-2" here means any signature hash newer than SHA-1: what the
	 * devices cannot check. */
	bool sha2 = !c->sig_is_sha1;
	size_t n = 0;

	if (!c->is_ca)
		n = add(out, n, "not-ca",
		        "not a CA certificate (basicConstraints cA is not TRUE)");
	if (now > c->not_after)
		n = add(out, n, "expired", "validity ended: notAfter is in the past");
	if (now < c->not_before)
		n = add(out, n, "not-yet-valid", "validity not begun: notBefore is in the future");
	if (c->der_len > CERT_AD_VALUE_MAX)
		n = add(out, n, "too-large",
		        "larger than 32768 bytes: AD refuses values this large");
	if (sha2 && c->key_kind == CERT_KEY_RSA && c->key_bits > 2048)
		n = add(out, n, "legacy-rsa-key-size",
		        "RSA key over 2048 bits with SHA-2: Polycom CX700/CPE sign-in fails");
	if (c->sig_is_pss)
		n = add(out, n, "legacy-pss",
		        "RSASSA-PSS signature: rejected by Lync Phone Edition");
	if (sha2)
		n = add(out, n, "legacy-sha256",
		        "SHA-2 signature: Lync Phone Edition needs CU7 (4.0.7577) or later");
	if (c->key_kind == CERT_KEY_EC)
		n = add(out, n, "legacy-ecdsa",
		        "ECDSA key: support on Lync/Communicator Phone Edition unknown");
	return n;
}
