/* ldaperr.c - the one LDAP-failure helper: what was attempted (operation,
 * DN, server), the server's diagnostic, and what to do next.  Kerberos and
 * GSSAPI failures are told apart by their text and get their own advice. */
#include "config.h"
#include "conn.h"

#include <stdio.h>
#include <string.h>

#define KINIT_HINT "no Kerberos credentials: run kinit (or set KRB5CCNAME, " \
	"or KRB5_CLIENT_KTNAME for a keytab)"

typedef struct {
	const char *needle;     /* case-insensitive substring of the diagnostic */
	adpki_result code;
	const char *hint;       /* what the user should do */
} diag_hint;

/* Kerberos/GSSAPI failures arrive as LDAP_LOCAL_ERROR with the GSS minor
 * status text in the diagnostic; the text is the only way to tell them
 * apart.  The first needle found wins, so the more specific come first. */
static const diag_hint diag_hints[] = {
	{ "No Kerberos credentials available", ADPKI_ERR_CREDENTIALS, KINIT_HINT },
	{ "No credentials cache found", ADPKI_ERR_CREDENTIALS, KINIT_HINT },
	{ "Can't find client principal", ADPKI_ERR_CREDENTIALS, KINIT_HINT },
	{ "Key table file", ADPKI_ERR_CREDENTIALS,
	  "the client keytab cannot be used: check KRB5_CLIENT_KTNAME" },
	{ "Ticket expired", ADPKI_ERR_CREDENTIALS,
	  "Kerberos ticket expired: run kinit again" },
	{ "Clock skew", ADPKI_ERR_CREDENTIALS,
	  "this host's clock and the domain controller's differ by more than "
	  "Kerberos allows (5 minutes): sync the clock" },
	{ "Preauthentication failed", ADPKI_ERR_CREDENTIALS,
	  "the KDC rejected the key: the password or keytab is out of date" },
	{ "Client '", ADPKI_ERR_CREDENTIALS,
	  "the KDC does not know the client principal of the ticket or keytab" },
	{ "not found in Kerberos database", ADPKI_ERR_CONFIG,
	  "the domain has no ldap/ service principal for the host name in the "
	  "URI: connect with the domain controller's DNS name "
	  "(-H ldap://dc.example.com), not an IP address or alias; or check "
	  "that krb5.conf's [domain_realm] maps that name to the domain's realm" },
	{ "Cannot contact any KDC", ADPKI_ERR_DIRECTORY,
	  "no Kerberos KDC answered: check the realm's kdc entries in krb5.conf "
	  "(KRB5_CONFIG) or DNS, and the network" },
	{ "Cannot find KDC", ADPKI_ERR_CONFIG,
	  "no Kerberos KDC is known for the realm: add it to krb5.conf "
	  "(KRB5_CONFIG) or enable dns_lookup_kdc" },
	/* Samba before allow_sasl_over_tls: wants a layer even inside TLS. */
	{ "Sign or Seal are required", ADPKI_ERR_CREDENTIALS,
	  "the domain controller refuses SASL without signing+sealing even "
	  "inside TLS: use ldap:// (GSSAPI signs and seals there), or on Samba "
	  "set 'ldap server require strong auth = allow_sasl_over_tls'" },
	{ "not allowed if TLS", ADPKI_ERR_DIRECTORY,
	  "the domain controller refuses SASL inside TLS: use ldap:// "
	  "(GSSAPI signs and seals there)" },
	/* The GSS major status text: it accompanies several of the minor
	 * statuses above, so it is only the fallback. */
	{ "No credentials were supplied", ADPKI_ERR_CREDENTIALS, KINIT_HINT },
	{ "SASL(-4)", ADPKI_ERR_CONFIG,
	  "the SASL mechanism is not available: install "
	  "libsasl2-modules-gssapi-mit (GSSAPI) or check -Y" },
	{ "SASL(-15)", ADPKI_ERR_DIRECTORY,
	  "the security layer could not be negotiated: sign+seal (SSF 56) is "
	  "required on ldap://; use GSSAPI, or TLS (ldaps:// or -Z)" },
};

/* Hints keyed on the result code alone, for when the diagnostic has none. */
static const char *
code_hint(int rc, const char *diag)
{
	switch (rc) {
	case LDAP_TIMEOUT:
		return "no answer within the timeout (--timeout): is the server up "
		       "and the port right?";
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
		if (diag != NULL && (strcasestr(diag, "TLS") != NULL ||
		                     strcasestr(diag, "certificate") != NULL))
			return "TLS failed: check the CA certificate (TLS_CACERT in "
			       "ldap.conf, or LDAPTLS_CACERT) and that the host name in "
			       "the URI is one the server certificate names";
		return "is the server up and the port right?";
	case LDAP_STRONG_AUTH_REQUIRED:
		return "the server requires signing+sealing or TLS: use GSSAPI "
		       "(the default) or ldaps:// / -Z";
	case LDAP_INVALID_CREDENTIALS:
		return "check the bind DN and password";
	case LDAP_INSUFFICIENT_ACCESS:
		return "the bound identity lacks the rights: bind as a member of "
		       "Enterprise Admins or an identity with rights delegated on "
		       "CN=Public Key Services";
	case LDAP_INAPPROPRIATE_AUTH:
		return "the server does not accept this kind of bind for this identity";
	default:
		return NULL;
	}
}

static adpki_result
code_category(int rc)
{
	switch (rc) {
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_INAPPROPRIATE_AUTH:
		return ADPKI_ERR_CREDENTIALS;
	case LDAP_NO_MEMORY:
		return ADPKI_ERR_UNEXPECTED;
	default:
		return ADPKI_ERR_DIRECTORY;
	}
}

adpki_result
ldap_fail(LDAP *ld, const char *server, adpki_error *err, int rc,
          const char *op, const char *dn, const char *diagnostic)
{
	char *own = NULL;
	const char *diag = diagnostic;
	const char *hint = NULL;
	adpki_result code = code_category(rc);

	if (diag == NULL && ld != NULL &&
	    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &own) == LDAP_OPT_SUCCESS)
		diag = own;
	if (diag != NULL && diag[0] == '\0')
		diag = NULL;

	if (diag != NULL) {
		for (size_t i = 0; i < sizeof diag_hints / sizeof diag_hints[0]; i++) {
			if (strcasestr(diag, diag_hints[i].needle) != NULL) {
				hint = diag_hints[i].hint;
				code = diag_hints[i].code;
				break;
			}
		}
	}
	if (hint == NULL)
		hint = code_hint(rc, diag);

	adpki_fail(err, code, "%s%s%s on %s failed: %s%s%s%s%s%s",
	           op, dn != NULL ? " " : "", dn != NULL ? dn : "",
	           server != NULL && server[0] != '\0' ? server : "the server",
	           ldap_err2string(rc),
	           diag != NULL ? " (" : "", diag != NULL ? diag : "",
	           diag != NULL ? ")" : "",
	           hint != NULL ? "; " : "", hint != NULL ? hint : "");
	if (own != NULL)
		ldap_memfree(own);
	return code;
}

adpki_result
conn_ldap_fail(conn *c, adpki_error *err, int rc, const char *op,
               const char *dn, const char *diagnostic)
{
	return ldap_fail(c != NULL ? c->ld : NULL, c != NULL ? c->server : NULL,
	                 err, rc, op, dn, diagnostic);
}
