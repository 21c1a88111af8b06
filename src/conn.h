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
	int window;                 /* --window: requests kept in flight (0: default) */
} conn_options;

#define CONN_DEFAULT_WINDOW 64
#define CONN_MAX_WINDOW 1024    /* well below CONN_TRACK_SLOTS */

/* What --verbose reports at the end.  A round trip is one link in the
 * longest chain of requests each sent only after an earlier answer came
 * back: n operations one after another are n round trips, n operations
 * kept in flight w at a time are about n/w.  The bind's own SASL
 * exchanges are not counted (libldap performs them inside one call). */
#define CONN_TRACK_SLOTS 4096   /* requests in flight that can be tracked */

typedef struct {
	unsigned long binds, searches, writes;
	unsigned long round_trips;
	unsigned long answered_depth;   /* deepest answer received so far */
	struct { int msgid; unsigned long depth; } inflight[CONN_TRACK_SLOTS];
} conn_stats;

typedef enum { CONN_OP_BIND, CONN_OP_SEARCH, CONN_OP_WRITE } conn_op_kind;

typedef struct {
	LDAP *ld;
	char *uri;            /* the URI actually connected */
	char *server;         /* host part for messages ("dc1.samdom.test") */
	char *config_nc;      /* configurationNamingContext */
	char *pks_dn;         /* CN=Public Key Services,CN=Services,<config_nc> */
	int ssf;              /* negotiated SASL security strength */
	bool tls;             /* TLS in effect (ldaps:// or StartTLS) */
	int timeout;
	int window;           /* requests kept in flight by writes and read-backs */
	conn_stats stats;
} conn;

void conn_options_init(conn_options *o);

/* Accounting for --verbose.  conn_count_exchange: one synchronous request
 * and its answer (each page of a paged search is one).  conn_count_sent /
 * conn_count_answered: an asynchronous request, and its final answer. */
void conn_count_exchange(conn *c, conn_op_kind kind);
void conn_count_sent(conn *c, conn_op_kind kind, int msgid);
void conn_count_answered(conn *c, int msgid);

/* "2 searches, 500 writes; 12 round trips after the bind" */
void conn_describe_stats(const conn *c, char *buf, size_t size);

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
