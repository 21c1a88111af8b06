/* conn.h - finding a domain controller, connecting and binding the way
 * hardened AD expects (SASL GSSAPI with sign+seal on ldap://, TLS with
 * verification and channel binding on ldaps:// / StartTLS). */
#ifndef ADPKI_CONN_H
#define ADPKI_CONN_H

#include <stdbool.h>
#include <ldap.h>

#include "result.h"

typedef enum {
	CONN_AUTH_GSSAPI = 0,  /* default: Kerberos ticket or client keytab */
	CONN_AUTH_EXTERNAL,    /* ldapi:// peer credentials, TLS client certificate */
	CONN_AUTH_SIMPLE,      /* -x: only over TLS or ldapi:// */
} conn_auth;

typedef struct {
	const char *uri;            /* -H/--uri */
	const char *dc_host;        /* -S/--domain-controller */
	const char *domain;         /* --domain */
	const char *config_nc;      /* --config-nc */
	const char *login_ccache;   /* -C/--login-ccache: sets KRB5CCNAME for this process */
	conn_auth auth;             /* -Y GSSAPI|EXTERNAL, -x */
	const char *sasl_mech;      /* as given with -Y (for messages) */
	const char *bind_dn;        /* --bind-dn (simple) */
	bool stdin_password;        /* --stdin-password */
	const char *password_file;  /* --password-file */
	bool starttls;              /* -Z/--starttls on ldap:// */
	int timeout;                /* --timeout seconds; network and operation timeout */
} conn_options;

typedef struct {
	LDAP *ld;
	char *uri;            /* the URI actually connected */
	char *server;         /* host part for messages ("dc1.samdom.test") */
	char *config_nc;      /* configurationNamingContext */
	char *pks_dn;         /* CN=Public Key Services,CN=Services,<config_nc> */
	int ssf;              /* negotiated SASL security strength */
	bool tls;             /* TLS in effect (ldaps:// or StartTLS) */
	int timeout;
} conn;

void conn_options_init(conn_options *o);

/* Discovers where to connect (in the documented order, each step logged),
 * connects, binds, and reads the configuration naming context. */
adpki_result conn_open(const conn_options *o, const adpki_logger *log,
                       conn **out, adpki_error *err);
void conn_close(conn *c);

/* The single LDAP-failure helper: fills err with
 *   "<op> <dn> on <server> failed: <ldap error> (<server diagnostic>)"
 * and maps the LDAP result code to a category (insufficientAccess,
 * invalidCredentials, strongAuthRequired -> CREDENTIALS; the rest ->
 * DIRECTORY).  rc is the LDAP result code; diagnostic may be NULL, in which
 * case it is read from the handle. */
adpki_result conn_ldap_fail(conn *c, adpki_error *err, int rc, const char *op,
                            const char *dn, const char *diagnostic);

/* Same, for callers without a conn (ld may be NULL). */
adpki_result ldap_fail(LDAP *ld, const char *server, adpki_error *err, int rc,
                       const char *op, const char *dn, const char *diagnostic);

/* --- discovery pieces, exposed for tests --- */

/* DNS SRV lookup of _ldap._tcp.dc._msdcs.<domain>: fills *uris with
 * "ldap://host:port" strings ordered by priority then weight (NULL-terminated,
 * free with conn_free_strv). */
adpki_result disco_srv_lookup(const char *domain, char ***uris, adpki_error *err);

/* The Kerberos default realm, lower-cased as a DNS domain (malloc'd). */
adpki_result disco_default_realm_domain(char **domain, adpki_error *err);

void conn_free_strv(char **v);

#endif
