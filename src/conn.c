/* conn.c - connecting to a domain controller and binding the way hardened
 * AD expects:
 *   - ldap:// : SASL GSSAPI with sign+seal (minimum SSF 56, checked again
 *     after the bind), never a cleartext password;
 *   - ldaps:// or StartTLS : certificate verified per ldap.conf
 *     (libldap's default is "demand"), no SASL layer inside TLS, channel
 *     binding to the TLS endpoint;
 *   - ldapi:// : the local socket (EXTERNAL or GSSAPI).
 * Where to connect comes from -H, ldap.conf, -S, then DNS SRV (disco.c),
 * each step logged.  Nothing here prompts: a SASL mechanism that needs an
 * answer we cannot give fails instead. */
#include "config.h"
#include "conn.h"
#include "conn-internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <sasl/sasl.h>

#define CONN_DEFAULT_TIMEOUT 30   /* seconds, when o->timeout is 0 */
#define CONN_MIN_SSF 56           /* sign+seal: what AD's signing policy needs */
#define CONN_URI_MAX 4096         /* -H / ldap.conf URI list */
#define CONN_URIS_MAX 32          /* candidates in one URI list */
#define CONN_DN_MAX 4096          /* configurationNamingContext value */

/* What libldap reports for LDAP_OPT_URI when neither ldap.conf, ldaprc nor
 * LDAPURI set one (measured with libldap 2.5.13: the built-in default is
 * parsed with base scope, a configured URI is not). */
#define CONN_LIBLDAP_DEFAULT_URI "ldap://localhost:389/??base"


void
conn_options_init(conn_options *o)
{
	memset(o, 0, sizeof *o);
	o->auth = CONN_AUTH_GSSAPI;
}

/* ------------------------------------------------------------ candidates */

/* Splits a URI list (spaces or commas, as ldap.conf and -H allow) into a
 * NULL-terminated vector. */
static adpki_result
split_uris(const char *list, char ***out, adpki_error *err)
{
	char **v;
	size_t n = 0;
	const char *p = list;

	*out = NULL;
	if (strlen(list) > CONN_URI_MAX)
		return adpki_fail(err, ADPKI_ERR_CONFIG,
		                  "the URI list is longer than %d characters", CONN_URI_MAX);
	v = calloc(CONN_URIS_MAX + 1, sizeof *v);
	if (v == NULL)
		return adpki_fail_oom(err);
	while (*p != '\0') {
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		len = strcspn(p, " \t,");
		if (len == 0)
			break;
		if (n == CONN_URIS_MAX) {
			conn_free_strv(v);
			return adpki_fail(err, ADPKI_ERR_CONFIG,
			                  "more than %d URIs given", CONN_URIS_MAX);
		}
		v[n] = strndup(p, len);
		if (v[n] == NULL) {
			conn_free_strv(v);
			return adpki_fail_oom(err);
		}
		n++;
		p += len;
	}
	if (n == 0) {
		conn_free_strv(v);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "empty URI list");
	}
	*out = v;
	return ADPKI_OK;
}

/* -S HOST or HOST:PORT, or an IPv6 address in brackets. */
static bool
dc_host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 260)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)h[i];
		if (!isalnum(ch) && strchr("-._:[]", ch) == NULL)
			return false;
	}
	return true;
}

static const char *const no_dc_msg =
	"no domain controller to connect to: give -H URI, -S HOST or "
	"--domain DOMAIN, or set URI in ldap.conf";

/* The documented order: -H, -S, the ldap.conf URI, DNS SRV for --domain or
 * the Kerberos default realm.  The first source that names a server wins: a
 * user who said where to connect must not silently end up elsewhere, which
 * is also why both command-line flags come before ldap.conf. */
static adpki_result
find_candidates(const conn_options *o, const adpki_logger *log,
                char ***uris, adpki_error *err)
{
	char *conf_uri = NULL;
	char *realm_domain = NULL;
	const char *domain;
	adpki_result rc;

	if (o->uri != NULL && o->uri[0] != '\0') {
		ADPKI_LOG(log, "server: using -H %s", o->uri);
		return split_uris(o->uri, uris, err);
	}
	ADPKI_LOG(log, "server: no -H given");

	if (o->dc_host != NULL && o->dc_host[0] != '\0') {
		char buf[300];

		if (!dc_host_ok(o->dc_host))
			return adpki_fail(err, ADPKI_ERR_CONFIG,
			                  "-S '%s' is not a host name or address", o->dc_host);
		snprintf(buf, sizeof buf, "ldap://%s", o->dc_host);
		ADPKI_LOG(log, "server: using -S %s: %s", o->dc_host, buf);
		return split_uris(buf, uris, err);
	}
	ADPKI_LOG(log, "server: no -S given");

	/* Reads ldap.conf (LDAPCONF), ldaprc (LDAPRC) and LDAPURI. */
	if (ldap_get_option(NULL, LDAP_OPT_URI, &conf_uri) == LDAP_OPT_SUCCESS &&
	    conf_uri != NULL && strcmp(conf_uri, CONN_LIBLDAP_DEFAULT_URI) != 0) {
		ADPKI_LOG(log, "server: using URI %s from ldap.conf / ldaprc / LDAPURI",
		          conf_uri);
		rc = split_uris(conf_uri, uris, err);
		ldap_memfree(conf_uri);
		return rc;
	}
	if (conf_uri != NULL)
		ldap_memfree(conf_uri);
	ADPKI_LOG(log, "server: no URI in ldap.conf / ldaprc / LDAPURI");

	if (o->domain != NULL && o->domain[0] != '\0') {
		domain = o->domain;
		ADPKI_LOG(log, "server: domain %s from --domain", domain);
	} else {
		adpki_error rerr;

		if (disco_default_realm_domain(&realm_domain, &rerr) != ADPKI_OK) {
			ADPKI_LOG(log, "server: no --domain, and %s", rerr.message);
			return adpki_fail(err, ADPKI_ERR_CONFIG, "%s (%s)", no_dc_msg,
			                  rerr.message);
		}
		domain = realm_domain;
		ADPKI_LOG(log, "server: domain %s from the Kerberos default realm", domain);
	}

	adpki_error serr;
	ADPKI_LOG(log, "server: looking up DNS SRV _ldap._tcp.dc._msdcs.%s", domain);
	rc = disco_srv_lookup(domain, uris, &serr);
	if (rc != ADPKI_OK) {
		ADPKI_LOG(log, "server: %s", serr.message);
		rc = rc == ADPKI_ERR_UNEXPECTED ? adpki_fail_oom(err)
		     : adpki_fail(err, ADPKI_ERR_CONFIG, "%s (%s)", no_dc_msg, serr.message);
	} else {
		for (char **u = *uris; *u != NULL; u++)
			ADPKI_LOG(log, "server: DNS SRV candidate %s", *u);
	}
	free(realm_domain);
	return rc;
}

/* ------------------------------------------------------------------ bind */

typedef struct {
	const char *asked;   /* the first prompt we could not answer */
} interact_ctx;

/* Answers only what needs no person: no authorization identity (act as the
 * authenticated one) and the default realm.  Anything else (a password, a
 * user name) would be a prompt: refuse, so the bind fails instead. */
static int
sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	interact_ctx *ctx = defaults;
	sasl_interact_t *it = in;

	(void)ld;
	(void)flags;
	for (; it->id != SASL_CB_LIST_END; it++) {
		switch (it->id) {
		case SASL_CB_USER:
			it->result = "";
			it->len = 0;
			break;
		case SASL_CB_GETREALM:
			it->result = it->defresult != NULL ? it->defresult : "";
			it->len = (unsigned)strlen(it->result);
			break;
		default:
			if (ctx != NULL && ctx->asked == NULL)
				ctx->asked = it->prompt != NULL ? it->prompt : "a value";
			return LDAP_OTHER;
		}
	}
	return LDAP_SUCCESS;
}

typedef struct {
	const char *scheme;   /* "ldap", "ldaps", "ldapi" */
	bool tls;             /* ldaps://, or StartTLS on ldap:// */
	bool local;           /* ldapi:// */
	char *server;         /* host for messages */
} target;

static void
target_free(target *t)
{
	free(t->server);
	t->server = NULL;
}

static adpki_result
parse_target(const char *uri, const conn_options *o, target *t, adpki_error *err)
{
	LDAPURLDesc *lud = NULL;
	int lrc;

	memset(t, 0, sizeof *t);
	lrc = ldap_url_parse(uri, &lud);
	if (lrc != LDAP_URL_SUCCESS)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "'%s' is not an LDAP URI "
		                  "(ldap://HOST, ldaps://HOST or ldapi://)", uri);
	if (strcasecmp(lud->lud_scheme, "ldap") == 0) {
		t->scheme = "ldap";
		t->tls = o->starttls;
	} else if (strcasecmp(lud->lud_scheme, "ldaps") == 0) {
		t->scheme = "ldaps";
		t->tls = true;
	} else if (strcasecmp(lud->lud_scheme, "ldapi") == 0) {
		t->scheme = "ldapi";
		t->local = true;
	} else {
		ldap_free_urldesc(lud);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "'%s': only ldap://, ldaps:// "
		                  "and ldapi:// are supported", uri);
	}
	if (lud->lud_host != NULL && lud->lud_host[0] != '\0')
		t->server = strdup(lud->lud_host);
	else
		t->server = strdup(t->local ? "the local ldapi socket" : "localhost");
	ldap_free_urldesc(lud);
	if (t->server == NULL)
		return adpki_fail_oom(err);
	return ADPKI_OK;
}

/* Refuses, before anything is sent, a combination that would either leak
 * a password or cannot authenticate at all. */
static adpki_result
check_transport(const char *uri, const target *t, const conn_options *o,
                adpki_error *err)
{
	if (o->auth == CONN_AUTH_SIMPLE && !t->tls && !t->local)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "refusing a simple bind to %s "
		                  "without TLS: the password would cross the network in "
		                  "clear text; use ldaps://, -Z (StartTLS) or GSSAPI (the "
		                  "default)", uri);
	if (o->auth == CONN_AUTH_EXTERNAL && !t->tls && !t->local)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "SASL EXTERNAL to %s needs "
		                  "ldapi:// or TLS with a client certificate (ldaps:// or "
		                  "-Z)", uri);
	return ADPKI_OK;
}

static adpki_result
set_opt(LDAP *ld, int opt, const void *val, const char *name, adpki_error *err)
{
	if (ldap_set_option(ld, opt, val) != LDAP_OPT_SUCCESS)
		return adpki_fail(err, ADPKI_ERR_UNEXPECTED,
		                  "cannot set the LDAP option %s", name);
	return ADPKI_OK;
}

static adpki_result
set_options(LDAP *ld, const target *t, int timeout, adpki_error *err)
{
	const int v3 = LDAP_VERSION3;
	struct timeval tv = { .tv_sec = timeout, .tv_usec = 0 };
	adpki_result rc;

	if ((rc = set_opt(ld, LDAP_OPT_PROTOCOL_VERSION, &v3, "protocol version", err)) ||
	    (rc = set_opt(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF, "referrals", err)) ||
	    /* The service ticket is for ldap/<host as written in the URI>: no
	     * reverse DNS that could redirect it or leak the lookup. */
	    (rc = set_opt(ld, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON, "SASL nocanon", err)) ||
	    (rc = set_opt(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv, "network timeout", err)) ||
	    (rc = set_opt(ld, LDAP_OPT_TIMEOUT, &tv, "timeout", err)))
		return rc;

	if (t->tls) {
		/* TLS already protects the session; AD refuses a SASL layer inside
		 * it, and channel binding ties the bind to this TLS session. */
		if ((rc = set_opt(ld, LDAP_OPT_X_SASL_SECPROPS, "minssf=0,maxssf=0",
		                  "SASL security properties", err)))
			return rc;
#ifdef LDAP_OPT_X_SASL_CBINDING
		const int cb = LDAP_OPT_X_SASL_CBINDING_TLS_ENDPOINT;
		if ((rc = set_opt(ld, LDAP_OPT_X_SASL_CBINDING, &cb,
		                  "SASL channel binding", err)))
			return rc;
#endif
	} else if (!t->local) {
		char secprops[48];

		/* Both ends set, so an SASL_SECPROPS in ldap.conf cannot turn the
		 * layer off. */
		snprintf(secprops, sizeof secprops, "minssf=%d,maxssf=%d",
		         CONN_MIN_SSF, INT_MAX);
		if ((rc = set_opt(ld, LDAP_OPT_X_SASL_SECPROPS, secprops,
		                  "SASL security properties", err)))
			return rc;
	}
	return ADPKI_OK;
}

static adpki_result
do_bind(conn *c, const target *t, const conn_options *o, const char *password,
        const adpki_logger *log, int *lrc_out, adpki_error *err)
{
	int lrc;

	if (o->auth == CONN_AUTH_SIMPLE) {
		struct berval cred;

		ADPKI_LOG(log, "bind: simple bind as %s on %s", o->bind_dn, c->server);
		cred.bv_val = (char *)password;
		cred.bv_len = strlen(password);
		lrc = ldap_sasl_bind_s(c->ld, o->bind_dn, LDAP_SASL_SIMPLE, &cred,
		                       NULL, NULL, NULL);
		*lrc_out = lrc;
		if (lrc != LDAP_SUCCESS)
			return conn_ldap_fail(c, err, lrc, "simple bind as", o->bind_dn, NULL);
		return ADPKI_OK;
	}

	const char *mech = o->auth == CONN_AUTH_EXTERNAL ? "EXTERNAL" : "GSSAPI";
	char op[64];
	interact_ctx ictx = { NULL };

	snprintf(op, sizeof op, "SASL %s bind", mech);
	ADPKI_LOG(log, "bind: SASL %s on %s (%s)", mech, c->server,
	          t->tls ? "inside TLS: no SASL layer, channel binding"
	          : t->local ? "local socket"
	          : "sign+seal required: minimum SSF 56");
	lrc = ldap_sasl_interactive_bind_s(c->ld, NULL, mech, NULL, NULL,
	                                   LDAP_SASL_QUIET, sasl_interact, &ictx);
	*lrc_out = lrc;
	if (lrc != LDAP_SUCCESS) {
		if (ictx.asked != NULL) {
			char diag[256];
			snprintf(diag, sizeof diag, "the mechanism asked for '%s', and "
			         "adpki never prompts", ictx.asked);
			return conn_ldap_fail(c, err, lrc, op, NULL, diag);
		}
		return conn_ldap_fail(c, err, lrc, op, NULL, NULL);
	}

	ber_len_t ssf = 0;
	if (ldap_get_option(c->ld, LDAP_OPT_X_SASL_SSF, &ssf) != LDAP_OPT_SUCCESS)
		ssf = 0;
	c->ssf = (int)ssf;
	ADPKI_LOG(log, "bind: done, SASL security strength %d", c->ssf);
	/* Defence in depth: minssf already made SASL refuse a weaker layer. */
	if (!t->tls && !t->local && c->ssf < CONN_MIN_SSF)
		return adpki_fail(err, ADPKI_ERR_DIRECTORY, "%s on %s negotiated a "
		                  "security strength of %d, below the %d that signing and "
		                  "sealing need; refusing to continue on ldap:// (use "
		                  "GSSAPI, ldaps:// or -Z)", op, c->server, c->ssf,
		                  CONN_MIN_SSF);
	return ADPKI_OK;
}

/* ------------------------------------------------------------- rootDSE */

static adpki_result
read_config_nc(conn *c, const conn_options *o, const adpki_logger *log,
               adpki_error *err)
{
	char *attrs[] = { "configurationNamingContext", NULL };
	struct timeval tv = { .tv_sec = c->timeout, .tv_usec = 0 };
	LDAPMessage *res = NULL;
	struct berval **vals = NULL;
	adpki_result rc = ADPKI_OK;
	int lrc;

	if (o->config_nc != NULL && o->config_nc[0] != '\0') {
		if (strlen(o->config_nc) > CONN_DN_MAX)
			return adpki_fail(err, ADPKI_ERR_CONFIG, "--config-nc is longer "
			                  "than %d characters", CONN_DN_MAX);
		ADPKI_LOG(log, "rootDSE: configuration NC %s from --config-nc",
		          o->config_nc);
		c->config_nc = strdup(o->config_nc);
		return c->config_nc != NULL ? ADPKI_OK : adpki_fail_oom(err);
	}

	lrc = ldap_search_ext_s(c->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	                        attrs, 0, NULL, NULL, &tv, 1, &res);
	conn_count_exchange(c, CONN_OP_SEARCH);
	if (lrc != LDAP_SUCCESS) {
		rc = conn_ldap_fail(c, err, lrc, "reading the rootDSE", NULL, NULL);
		goto out;
	}
	LDAPMessage *e = ldap_first_entry(c->ld, res);
	if (e != NULL)
		vals = ldap_get_values_len(c->ld, e, attrs[0]);
	if (vals == NULL || vals[0] == NULL || vals[0]->bv_len == 0) {
		rc = adpki_fail(err, ADPKI_ERR_DIRECTORY, "the rootDSE of %s has no "
		                "configurationNamingContext: is it an Active Directory "
		                "domain controller? (--config-nc overrides)", c->server);
		goto out;
	}
	if (vals[0]->bv_len > CONN_DN_MAX ||
	    memchr(vals[0]->bv_val, '\0', vals[0]->bv_len) != NULL) {
		rc = adpki_fail(err, ADPKI_ERR_DIRECTORY, "the configurationNamingContext "
		                "of %s is not a usable DN", c->server);
		goto out;
	}
	c->config_nc = strndup(vals[0]->bv_val, vals[0]->bv_len);
	if (c->config_nc == NULL) {
		rc = adpki_fail_oom(err);
		goto out;
	}
	ADPKI_LOG(log, "rootDSE: configuration NC %s", c->config_nc);
out:
	if (vals != NULL)
		ldap_value_free_len(vals);
	if (res != NULL)
		ldap_msgfree(res);
	return rc;
}

/* ------------------------------------------------------------- connect */

/* libldap (GnuTLS build) reports a failed TLS handshake only as
 * "(unknown error code)"; the actual reason ("peer cert untrusted or
 * revoked", "hostname (...) does not match common name ...") goes to its
 * debug log alone.  So while connecting, that log is routed here and the
 * first "TLS: " line kept.  Global state, but adpki is single-threaded and
 * both settings are restored right after. */
#define CONN_LDAP_DEBUG_TRACE 0x0001   /* OpenLDAP's LDAP_DEBUG_TRACE */

static char tls_reason[256];

static void
capture_tls_line(const char *line)
{
	if (tls_reason[0] != '\0' || strncmp(line, "TLS: ", 5) != 0 ||
	    strstr(line, "can't connect") != NULL)
		return;
	snprintf(tls_reason, sizeof tls_reason, "%s", line + 5);
	size_t len = strlen(tls_reason);
	while (len > 0 && (tls_reason[len - 1] == '\n' || tls_reason[len - 1] == '.'))
		tls_reason[--len] = '\0';
}

typedef struct {
	bool active;
	int level;
	BER_LOG_PRINT_FN fn;
} tls_trace;

static void
tls_trace_start(tls_trace *tt)
{
	const int level = CONN_LDAP_DEBUG_TRACE;

	tls_reason[0] = '\0';
	tt->active = false;
	if (ldap_get_option(NULL, LDAP_OPT_DEBUG_LEVEL, &tt->level) != LDAP_OPT_SUCCESS ||
	    ber_get_option(NULL, LBER_OPT_LOG_PRINT_FN, &tt->fn) != LBER_OPT_SUCCESS ||
	    tt->fn == NULL)
		return;
	if (ber_set_option(NULL, LBER_OPT_LOG_PRINT_FN, capture_tls_line) != LBER_OPT_SUCCESS)
		return;
	tt->active = true;
	ldap_set_option(NULL, LDAP_OPT_DEBUG_LEVEL, &level);
}

static void
tls_trace_stop(tls_trace *tt)
{
	if (!tt->active)
		return;
	ldap_set_option(NULL, LDAP_OPT_DEBUG_LEVEL, &tt->level);
	ber_set_option(NULL, LBER_OPT_LOG_PRINT_FN, tt->fn);
	tt->active = false;
}

/* libldap 2.5.13 (Debian 12) bounds the TLS handshake by the network
 * timeout only for connections made with LDAP_OPT_CONNECT_ASYNC; otherwise
 * it makes the socket non-blocking and retries the handshake in a busy loop
 * that never gives up, so a server that accepts the TCP connection but
 * never answers hangs us forever at 100% CPU (measured).  This callback,
 * called right after the (synchronous, network-timeout bounded) TCP
 * connect, makes the socket non-blocking and switches the handle to async,
 * which turns that loop into a poll with the remaining timeout.  For
 * StartTLS the same flag applies when ldap_start_tls_s shakes hands. */
static int
tls_conn_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
             struct ldap_conncb *ctx)
{
	(void)srv;
	(void)addr;
	(void)ctx;
	if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_NONBLOCK, (void *)1) != 1 ||
	    ldap_set_option(ld, LDAP_OPT_CONNECT_ASYNC, LDAP_OPT_ON) != LDAP_OPT_SUCCESS)
		return -1;
	return 0;
}

static void
tls_conn_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	(void)ld;
	(void)sb;
	(void)ctx;
}

/* libldap keeps a pointer to it for the handle's lifetime. */
static ldap_conncb tls_conn_cb = { tls_conn_add, tls_conn_del, NULL };

/* After a failed connect: 0 when host resolves, else getaddrinfo's error.
 * libldap says only "Can't contact LDAP server" for a name that does not
 * resolve, which sends the user looking at the port instead of the name. */
static int
host_lookup_error(const char *host)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (res != NULL)
		freeaddrinfo(res);
	return rc == EAI_MEMORY || rc == EAI_SYSTEM ? 0 : rc;
}

/* A connection failure on a TLS target with a diagnostic is a TLS failure
 * (a refused TCP connection leaves none). */
static void
fail_connect(conn *c, const target *t, int lrc, const char *op, const char *what,
             adpki_error *err)
{
	char *diag = NULL;
	int gai;

	if (t->tls)
		ldap_get_option(c->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* libldap's TLS layer leaves its own (unhelpful) text; a server's
	 * answer to the StartTLS request is a normal diagnostic instead. */
	if (diag != NULL && diag[0] != '\0' &&
	    (tls_reason[0] != '\0' || strstr(diag, "unknown error code") != NULL ||
	     strstr(diag, "TLS") != NULL)) {
		adpki_fail(err, ADPKI_ERR_DIRECTORY, "TLS with %s failed: %s; check "
		           "that the CA certificate is in TLS_CACERT (ldap.conf) or "
		           "LDAPTLS_CACERT, and that the URI names the server as its "
		           "certificate does (its DNS name, not an IP address)",
		           c->server, tls_reason[0] != '\0' ? tls_reason : diag);
	} else if (lrc == LDAP_SERVER_DOWN && !t->local && what != NULL &&
	           (gai = host_lookup_error(c->server)) != 0) {
		adpki_fail(err, ADPKI_ERR_DIRECTORY, "%s %s failed: the host name %s does "
		           "not resolve (%s): check the name in the URI, and DNS or "
		           "/etc/hosts", op, what, c->server, gai_strerror(gai));
	} else {
		conn_ldap_fail(c, err, lrc, op, what, NULL);
	}
	if (diag != NULL)
		ldap_memfree(diag);
}


/* Connection-level failures (before the bind) let the caller try the next
 * candidate; everything after is final. */
typedef enum { TRY_OK, TRY_NEXT, TRY_STOP } try_outcome;

static try_outcome
try_connect(const char *uri, const target *t, const conn_options *o,
            const char *password, int timeout, const adpki_logger *log,
            conn **out, adpki_error *err)
{
	conn *c;
	int lrc;

	*out = NULL;
	c = calloc(1, sizeof *c);
	if (c == NULL) {
		adpki_fail_oom(err);
		return TRY_STOP;
	}
	c->timeout = timeout;
	c->window = o->window > 0 ? o->window : CONN_DEFAULT_WINDOW;
	c->tls = t->tls;
	c->uri = strdup(uri);
	c->server = strdup(t->server);
	if (c->uri == NULL || c->server == NULL) {
		conn_close(c);
		adpki_fail_oom(err);
		return TRY_STOP;
	}

	lrc = ldap_initialize(&c->ld, uri);
	if (lrc != LDAP_SUCCESS) {
		conn_ldap_fail(c, err, lrc, "initializing", uri, NULL);
		conn_close(c);
		return TRY_STOP;
	}
	if (set_options(c->ld, t, timeout, err) != ADPKI_OK) {
		conn_close(c);
		return TRY_STOP;
	}

	ADPKI_LOG(log, "connect: %s (timeout %d s)", uri, timeout);
	tls_trace tt = { 0 };
	if (t->tls) {
		if (set_opt(c->ld, LDAP_OPT_CONNECT_CB, &tls_conn_cb,
		            "connection callback", err) != ADPKI_OK) {
			conn_close(c);
			return TRY_STOP;
		}
		tls_trace_start(&tt);
	}
	const char *op = "connecting to";
	const char *what = uri;
	lrc = ldap_connect(c->ld);
	if (lrc == LDAP_SUCCESS && t->tls && strcmp(t->scheme, "ldap") == 0) {
		ADPKI_LOG(log, "connect: StartTLS on %s", c->server);
		op = "StartTLS";
		what = NULL;
		lrc = ldap_start_tls_s(c->ld, NULL, NULL);
	}
	tls_trace_stop(&tt);
	if (lrc != LDAP_SUCCESS) {
		fail_connect(c, t, lrc, op, what, err);
		if (err != NULL)
			ADPKI_LOG(log, "connect: %s", err->message);
		conn_close(c);
		return TRY_NEXT;
	}

	/* A server that dies or stays silent during the bind is a connection
	 * problem: the next one may answer.  A refused bind is final. */
	lrc = LDAP_SUCCESS;
	if (do_bind(c, t, o, password, log, &lrc, err) != ADPKI_OK) {
		bool next = lrc == LDAP_SERVER_DOWN || lrc == LDAP_TIMEOUT ||
		            lrc == LDAP_CONNECT_ERROR;
		if (next && err != NULL)
			ADPKI_LOG(log, "connect: %s", err->message);
		conn_close(c);
		return next ? TRY_NEXT : TRY_STOP;
	}
	if (read_config_nc(c, o, log, err) != ADPKI_OK) {
		conn_close(c);
		return TRY_STOP;
	}

	static const char pks_prefix[] = "CN=Public Key Services,CN=Services,";
	size_t sz = sizeof pks_prefix + strlen(c->config_nc);
	c->pks_dn = malloc(sz);
	if (c->pks_dn == NULL) {
		conn_close(c);
		adpki_fail_oom(err);
		return TRY_STOP;
	}
	snprintf(c->pks_dn, sz, "%s%s", pks_prefix, c->config_nc);
	*out = c;
	return TRY_OK;
}

adpki_result
conn_open(const conn_options *o, const adpki_logger *log, conn **out,
          adpki_error *err)
{
	char **uris = NULL;
	target *targets = NULL;
	size_t n = 0;
	char password[CONN_PASSWORD_MAX + 2];
	adpki_result rc;
	int timeout = o->timeout > 0 ? o->timeout : CONN_DEFAULT_TIMEOUT;

	*out = NULL;
	password[0] = '\0';

	if (o->auth == CONN_AUTH_SIMPLE && (o->bind_dn == NULL || o->bind_dn[0] == '\0'))
		return adpki_fail(err, ADPKI_ERR_CONFIG, "a simple bind needs --bind-dn");

	rc = find_candidates(o, log, &uris, err);
	if (rc != ADPKI_OK)
		return rc;
	while (uris[n] != NULL)
		n++;
	targets = calloc(n, sizeof *targets);
	if (targets == NULL) {
		rc = adpki_fail_oom(err);
		goto out;
	}
	/* Every candidate is checked before any is contacted. */
	for (size_t i = 0; i < n; i++) {
		if ((rc = parse_target(uris[i], o, &targets[i], err)) != ADPKI_OK ||
		    (rc = check_transport(uris[i], &targets[i], o, err)) != ADPKI_OK)
			goto out;
		if (o->starttls && strcmp(targets[i].scheme, "ldap") != 0)
			ADPKI_LOG(log, "connect: -Z ignored for %s", uris[i]);
	}

	if (o->auth == CONN_AUTH_SIMPLE &&
	    (rc = conn_read_password(o, password, sizeof password, err)) != ADPKI_OK)
		goto out;
	if (o->auth == CONN_AUTH_GSSAPI) {
		if (o->login_ccache != NULL && o->login_ccache[0] != '\0') {
			if (setenv("KRB5CCNAME", o->login_ccache, 1) != 0) {
				rc = adpki_fail_oom(err);
				goto out;
			}
			ADPKI_LOG(log, "credentials: KRB5CCNAME=%s (from -C)", o->login_ccache);
		} else {
			const char *cc = getenv("KRB5CCNAME");
			ADPKI_LOG(log, "credentials: Kerberos ticket cache %s",
			          cc != NULL ? cc : "(the default from krb5.conf)");
		}
		const char *kt = getenv("KRB5_CLIENT_KTNAME");
		if (kt != NULL)
			ADPKI_LOG(log, "credentials: client keytab %s (KRB5_CLIENT_KTNAME)", kt);
	}

	rc = ADPKI_ERR_DIRECTORY;
	bool stopped = false;
	for (size_t i = 0; i < n; i++) {
		conn *c = NULL;
		try_outcome t = try_connect(uris[i], &targets[i], o, password, timeout,
		                            log, &c, err);
		if (t == TRY_OK) {
			*out = c;
			rc = ADPKI_OK;
			break;
		}
		rc = err != NULL ? err->code : ADPKI_ERR_DIRECTORY;
		if (t == TRY_STOP) {
			stopped = true;
			break;
		}
		if (i + 1 < n)
			ADPKI_LOG(log, "connect: trying the next server");
	}
	if (rc != ADPKI_OK && !stopped && n > 1)
		adpki_fail_context(err, "none of the %zu servers could be used; last", n);
out:
	explicit_bzero(password, sizeof password);
	if (targets != NULL) {
		for (size_t i = 0; i < n; i++)
			target_free(&targets[i]);
		free(targets);
	}
	conn_free_strv(uris);
	return rc;
}

/* ---------------------------------------------------------- accounting */

static void
count_kind(conn_stats *st, conn_op_kind kind)
{
	switch (kind) {
	case CONN_OP_BIND: st->binds++; break;
	case CONN_OP_SEARCH: st->searches++; break;
	default: st->writes++; break;
	}
}

static void
reach_depth(conn_stats *st, unsigned long depth)
{
	if (depth > st->answered_depth)
		st->answered_depth = depth;
	if (depth > st->round_trips)
		st->round_trips = depth;
}

void
conn_count_exchange(conn *c, conn_op_kind kind)
{
	count_kind(&c->stats, kind);
	reach_depth(&c->stats, c->stats.answered_depth + 1);
}

void
conn_count_sent(conn *c, conn_op_kind kind, int msgid)
{
	conn_stats *st = &c->stats;
	size_t slot = (size_t)msgid % CONN_TRACK_SLOTS;

	count_kind(st, kind);
	st->inflight[slot].msgid = msgid;
	st->inflight[slot].depth = st->answered_depth + 1;
}

void
conn_count_answered(conn *c, int msgid)
{
	conn_stats *st = &c->stats;
	size_t slot = (size_t)msgid % CONN_TRACK_SLOTS;

	/* A slot reused by a later request means more than CONN_TRACK_SLOTS
	 * were in flight; the caller's window keeps far below that. */
	if (st->inflight[slot].msgid == msgid)
		reach_depth(st, st->inflight[slot].depth);
}

void
conn_describe_stats(const conn *c, char *buf, size_t size)
{
	const conn_stats *st = &c->stats;

	snprintf(buf, size, "%lu search%s, %lu write%s; %lu round trip%s after the bind",
	         st->searches, st->searches == 1 ? "" : "es", st->writes,
	         st->writes == 1 ? "" : "s", st->round_trips, st->round_trips == 1 ? "" : "s");
}

void
conn_close(conn *c)
{
	if (c == NULL)
		return;
	if (c->ld != NULL)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	free(c->uri);
	free(c->server);
	free(c->config_nc);
	free(c->pks_dn);
	free(c);
}
