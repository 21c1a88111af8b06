/* render.h - output formats for people (tables) and scripts (JSON, PEM).
 *
 * Renderers format what they are given into the FILE* they are given; they
 * never decide to print anything else.  Text from certificates is
 * attacker-controlled: tables escape control characters, JSON goes
 * through jansson with invalid UTF-8 replaced. */
#ifndef ADPKI_RENDER_H
#define ADPKI_RENDER_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "cert.h"
#include "store.h"

/* A JSON string of s, invalid UTF-8 replaced (jansson refuses it, and a
 * hostile subject must never drop a field); JSON null for NULL. */
json_t *render_json_text(const char *s);

/* The JSON certificate object of the list/show contract (without the
 * directory fields): subject, issuer, serial, sha1, sha256, not_before,
 * not_after, key_type, key_bits, signature_algorithm, is_ca, self_signed,
 * ad_name, warnings[{code,message}].  NULL on out of memory. */
json_t *render_cert_json(const cert *c, time_t now);

/* `show` as a table block per certificate (index/total within its file). */
void render_cert_table(FILE *out, const cert *c, time_t now);

/* `list` in the three formats. server may be NULL. */
void render_list_table(FILE *out, const snapshot *s, time_t now);
/* The JSON document, written one element at a time (memory stays flat). */
adpki_result render_list_json(FILE *out, const snapshot *s, const char *server,
                              const char *config_nc, time_t now, adpki_error *err);
adpki_result render_list_pem(FILE *out, const snapshot *s, adpki_error *err);

/* Writes json to out (indented, key order kept, newline at the end). */
adpki_result render_json(FILE *out, json_t *json, adpki_error *err);

#endif
