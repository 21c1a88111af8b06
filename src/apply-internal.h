/* apply-internal.h - shared by the pieces of apply: the run's state, the
 * LDAPMod builders, the synchronous single-request helpers and the
 * fallbacks taken when another writer got there first. */
#ifndef ADPKI_APPLY_INTERNAL_H
#define ADPKI_APPLY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "apply.h"

extern const unsigned char apply_placeholder_byte[1];

/* The deletion lock (see apply-delete.c): while an adpki removal checks
 * that an emptied object can go, the object's authorityRevocationList
 * holds this one-byte value besides its 0x00 placeholder.  Every value add
 * adpki sends to such an object carries "add the lock value, delete it
 * again" in the same (atomic) modify, which the server refuses while the
 * lock is there. */
#define APPLY_LOCK_ATTR PLAN_ATTR_ARL
extern const unsigned char apply_lock_byte[1];
extern const plan_value apply_lock_value;   /* that byte, as a value to add or delete */

/* Objects the lock protects: the certificationAuthority objects of
 * Certification Authorities and AIA, which removals delete. */
bool apply_lockable(const plan_op *op);

typedef struct {
	conn *c;
	const plan *p;
	apply_report *r;
	const adpki_logger *log;
	apply_progress_fn progress;
	void *ctx;
	bool *settled;       /* per operation: its outcome is known */
	unsigned char *del_state;   /* per operation: where a batched deletion is */
	size_t reported;     /* operations [0, reported) were passed to progress */
} apply_run;

/* Sleeps a moment while someone else's lock is held; false (without
 * sleeping) once c->timeout seconds have passed since *t0. */
bool apply_lock_pause(apply_run *run, const struct timespec *t0);

/* Records the outcome of operation i; progress hears of it in plan order,
 * once every operation before it is settled too. */
void apply_settle(apply_run *run, size_t i, apply_status st, const char *note);

/* A refused write: the LDAP helper's message (diag: the server's text, or
 * NULL to read it from the handle), plus what rights are needed when the
 * server says access is insufficient.  Returns err->code. */
adpki_result apply_write_failed(apply_run *run, int rc, const char *op, const char *dn,
                                const char *diag, adpki_error *err);

/* --- LDAPMod arrays ------------------------------------------------------ */

typedef struct {
	LDAPMod **ptrs;        /* NULL-terminated: what libldap takes */
	LDAPMod *mods;
	struct berval *bvs;
	struct berval **bvptrs;
	size_t nmods, nbvs, nslots;
} ldap_mods;

/* One value-level modification per operation of [first, end) (all of them
 * add-value/delete-value on one object); with the lock check when one of
 * them adds to a lockable object. */
bool apply_mods_for_values(ldap_mods *m, const plan *p, size_t first, size_t end);
/* The whole entry of a create-object operation. */
bool apply_mods_for_create(ldap_mods *m, const plan_op *op);
/* A delete-object operation's first step in one modify: the 0x00
 * placeholder in, every planned value out, and (lock) the deletion lock in.
 * The server refuses it as a whole when a value is gone already or the
 * lock is held: then apply-delete.c empties and locks it step by step. */
bool apply_mods_for_emptying(ldap_mods *m, const plan_op *op, bool lock);
/* Takes the deletion lock away. */
bool apply_mods_for_unlock(ldap_mods *m);
void apply_mods_free(ldap_mods *m);

/* --- synchronous requests (each one round trip) -------------------------- */

/* Adds (LDAP_MOD_ADD) or deletes one value, as it is. */
int apply_modify_one(apply_run *run, const char *dn, int mod_op, const plan_value *v);

/* Adds one value to the object of op (whose dn may be another's: dn).
 * For a lockable object, with the lock check; while the lock is held the
 * add is retried until the object is gone (LDAP_NO_SUCH_OBJECT: the caller
 * creates it again), unlocked, or c->timeout passes (LDAP_BUSY).
 * LDAP_TYPE_OR_VALUE_EXISTS: the value is there already. */
int apply_add_value(apply_run *run, const plan_op *op, const char *dn, const plan_value *v);
/* Sends the add of a create-object operation and waits for it. */
int apply_add_entry(apply_run *run, const plan_op *op);

/* Forgets the previous answer's diagnostic text before a request: when
 * the connection drops, libldap keeps the last server's text ("00000000:
 * Success" from Samba), which would be quoted in the failure message. */
void apply_clear_diag(apply_run *run);

/* --- when another writer got there first --------------------------------- */

/* The create of operation i met an existing object (68): adds its real
 * values to that object instead. */
adpki_result apply_create_exists(apply_run *run, size_t i, adpki_error *err);

/* The modify of [first, end) was refused because the object changed since
 * it was read (20, 16 or 32): applies it value by value. */
adpki_result apply_values_one_by_one(apply_run *run, size_t first, size_t end,
                                     adpki_error *err);

/* --- requests in flight (apply-engine.c) --------------------------------- */

typedef enum {
	FLIGHT_CREATE,   /* create-object: an add */
	FLIGHT_MODIFY,   /* the value changes of one object */
	FLIGHT_EMPTY,    /* delete-object, step 1: empty (and lock) it */
	FLIGHT_UNLOCK,   /* delete-object, step 3 when values arrived: unlock */
	FLIGHT_DELETE,   /* delete-object, step 3: the delete */
} flight_kind;

typedef struct {
	int msgid;
	size_t first, end;   /* the plan operations the request carries */
	flight_kind kind;
} flight;

typedef struct {
	apply_run *run;
	flight *f;
	size_t n, cap;       /* in flight, and the window */
	adpki_result rc;     /* the first failure */
	adpki_error *err;    /* receives the first failure's message */
	adpki_error later;   /* messages of failures after the first */
	bool stopped;        /* the connection is gone or did not answer */
	bool finishing;      /* sending the last steps of work begun, despite a failure */
} apply_engine;

bool apply_engine_init(apply_engine *e, apply_run *run, adpki_error *err);
void apply_engine_free(apply_engine *e);
/* Sends the request for operations [first, end) once the window has room
 * and no request on the same object is in flight. */
void apply_engine_send(apply_engine *e, size_t first, size_t end, flight_kind kind);
/* Waits for every answer (each is handled as it comes). */
void apply_engine_drain(apply_engine *e);
/* No failure so far and the connection is usable. */
bool apply_engine_ok(const apply_engine *e);
void apply_engine_fail(apply_engine *e, adpki_result rc);
/* Where the next failure's message goes (the caller's error for the first). */
adpki_error *apply_engine_err(apply_engine *e);

/* Delete-object operations [first, end) in three pipelined steps: empty
 * and lock each, read them all back, delete each (or unlock and keep it).
 * A refused first step is redone one request at a time. */
void apply_delete_batch(apply_engine *e, size_t first, size_t end);
/* The answer to a FLIGHT_EMPTY, FLIGHT_UNLOCK or FLIGHT_DELETE request. */
void apply_delete_answer(apply_engine *e, const flight *fl, int code, const char *diag);

/* Delete-object operations processed together at most (bounds how long a
 * lock is held while the others of the batch are worked on). */
#define APPLY_DELETE_BATCH 512

#endif
