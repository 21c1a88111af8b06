/* cmd-write.c - what every write command shares: the options for plans
 * (-n, --ldif, --format, --exit-code, --undo-file), private output files,
 * the undo file written before anything is removed, and the real run that
 * prints the plan's lines as it applies them, then reads back. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "cli.h"
#include "text.h"
#include "ldif.h"
#include "progress.h"
#include "render.h"
#include "write.h"

/* How often a plan is applied when the read-back shows that another writer
 * undid part of it (see write_finish). */
#define WRITE_ATTEMPTS 3

const cli_option write_plan_options[] = {
	{ "dry-run", 'n', NULL, "write nothing: show the plan as a diff", WOPT_DRY_RUN },
	{ "ldif", 0, "FILE", "also write the plan as LDIF to FILE (- for stdout)", WOPT_LDIF },
	{ "format", 0, "FORMAT", "diff (default) or json", WOPT_FORMAT },
	{ "exit-code", 0, NULL, "exit 1 when the plan has changes, 0 when none", WOPT_EXIT_CODE },
	{ "undo-file", 0, "FILE", "where the undo LDIF goes (default: see adpki(1))", WOPT_UNDO_FILE },
	{ "no-progress", 0, NULL, "no progress line on a terminal for long batches", WOPT_NO_PROGRESS },
	{ NULL, 0, NULL, NULL, 0 },
};

/* publish never removes a certificate (at most a 0x00 placeholder), so it
 * has no undo file to place. */
const cli_option write_plan_options_no_undo[] = {
	{ "dry-run", 'n', NULL, "write nothing: show the plan as a diff", WOPT_DRY_RUN },
	{ "ldif", 0, "FILE", "also write the plan as LDIF to FILE (- for stdout)", WOPT_LDIF },
	{ "format", 0, "FORMAT", "diff (default) or json", WOPT_FORMAT },
	{ "exit-code", 0, NULL, "exit 1 when the plan has changes, 0 when none", WOPT_EXIT_CODE },
	{ "no-progress", 0, NULL, "no progress line on a terminal for long batches", WOPT_NO_PROGRESS },
	{ NULL, 0, NULL, NULL, 0 },
};

adpki_result
write_option(write_opts *w, int id, const char *arg, adpki_error *err)
{
	switch (id) {
	case WOPT_DRY_RUN: w->dry_run = true; break;
	case WOPT_NO_PROGRESS: w->no_progress = true; break;
	case WOPT_LDIF: w->ldif_path = arg; break;
	case WOPT_EXIT_CODE: w->exit_code = true; break;
	case WOPT_UNDO_FILE: w->undo_path = arg; break;
	case WOPT_FORMAT:
		if (strcmp(arg, "diff") != 0 && strcmp(arg, "json") != 0)
			return adpki_fail(err, ADPKI_ERR_USAGE, "--format=%s: use diff or json", arg);
		w->json = strcmp(arg, "json") == 0;
		break;
	default:
		return adpki_fail(err, ADPKI_ERR_USAGE, "unexpected option");
	}
	return ADPKI_OK;
}

/* Opens path for a plan or undo file: created 0600 (they describe the
 * forest's trust and may be applied later), never following a symlink
 * planted in its place.  exclusive: refuse an existing file. */
static adpki_result
open_private(const char *path, bool exclusive, FILE **out, adpki_error *err)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
	int fd = open(path, flags, 0600);

	if (fd < 0)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: cannot create: %s", path, strerror(errno));
	if (fchmod(fd, 0600) != 0) {
		close(fd);
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: cannot make it private: %s", path,
		                  strerror(errno));
	}
	*out = fdopen(fd, "w");
	if (*out == NULL) {
		close(fd);
		return adpki_fail_oom(err);
	}
	return ADPKI_OK;
}

/* Flushes, syncs and closes: an undo file must be on disk before the first
 * value goes. */
static adpki_result
close_synced(FILE *f, const char *path, adpki_error *err)
{
	bool bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
	int saved = errno;

	if (fclose(f) != 0 && !bad) {
		bad = true;
		saved = errno;
	}
	if (bad)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: cannot write: %s", path, strerror(saved));
	return ADPKI_OK;
}

static adpki_result
write_ldif_file(const plan *p, const char *path, bool exclusive, adpki_error *err)
{
	FILE *f;
	adpki_result rc;

	if (strcmp(path, "-") == 0) {
		rc = ldif_write_plan(p, stdout, err);
		fflush(stdout);
		return rc;
	}
	rc = open_private(path, exclusive, &f, err);
	if (rc != ADPKI_OK)
		return rc;
	rc = ldif_write_plan(p, f, err);
	if (rc != ADPKI_OK) {
		fclose(f);
		unlink(path);
		return adpki_fail_context(err, "%s", path);
	}
	rc = close_synced(f, path, err);
	if (rc != ADPKI_OK)
		unlink(path);
	return rc;
}

static adpki_result
make_dirs(char *path, adpki_error *err)
{
	char *p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			int saved = errno;
			*p = '/';
			return adpki_fail(err, ADPKI_ERR_CONFIG, "%s: cannot create directory: %s", path,
			                  strerror(saved));
		}
		*p = '/';
	}
	return ADPKI_OK;
}

/* $XDG_STATE_HOME/adpki/undo-<UTC>.ldif, else ~/.local/state/adpki/...; the
 * directory is created 0700.  The name is only a proposal: the file is
 * created exclusively, and undo_create tries -2, -3 ... when taken. */
static adpki_result
default_undo_dir(char *buf, size_t size, adpki_error *err)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (state != NULL && state[0] == '/')
		n = snprintf(buf, size, "%s/adpki/", state);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, size, "%s/.local/state/adpki/", home);
	else
		return adpki_fail(err, ADPKI_ERR_CONFIG, "neither XDG_STATE_HOME nor HOME is set: "
		                  "give --undo-file=FILE");
	if (n < 0 || (size_t)n + 40 >= size)
		return adpki_fail(err, ADPKI_ERR_CONFIG, "the undo file path is too long: "
		                  "give --undo-file=FILE");
	return make_dirs(buf, err);
}

/* Creates the undo file: the given path, or a fresh name in the default
 * directory.  Never overwrites: an old undo file may be the only record of
 * an earlier removal. */
static adpki_result
undo_create(const write_opts *w, char *path, size_t size, FILE **f, adpki_error *err)
{
	char dir[4096], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	adpki_result rc;
	int attempt;

	if (w->undo_path != NULL) {
		if (strlen(w->undo_path) >= size)
			return adpki_fail(err, ADPKI_ERR_CONFIG, "--undo-file: path too long");
		strcpy(path, w->undo_path);
		return open_private(path, true, f, err);
	}
	if ((rc = default_undo_dir(dir, sizeof dir, err)) != ADPKI_OK)
		return rc;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	for (attempt = 1; attempt <= 1000; attempt++) {
		int n = attempt == 1 ? snprintf(path, size, "%sundo-%s.ldif", dir, stamp)
		                     : snprintf(path, size, "%sundo-%s-%d.ldif", dir, stamp, attempt);
		if (n < 0 || (size_t)n >= size)
			return adpki_fail(err, ADPKI_ERR_CONFIG, "the undo file path is too long: "
			                  "give --undo-file=FILE");
		rc = open_private(path, true, f, err);
		if (rc == ADPKI_OK || errno != EEXIST)
			return rc;
	}
	return rc;
}

/* Dropping a 0x00 placeholder loses nothing: the summary counts only real
 * values, so it says whether an undo file is owed. */
static bool
plan_removes(const plan *p)
{
	return p->summary.objects_deleted > 0 || p->summary.values_removed > 0;
}

/* The undo plan, on disk before anything is removed: if it cannot be
 * written, nothing is. */
static adpki_result
write_undo(const plan *p, const write_opts *w, char *path, size_t size, adpki_error *err)
{
	plan *undo = NULL;
	FILE *f = NULL;
	adpki_result rc = plan_invert(p, &undo, err);

	if (rc == ADPKI_OK)
		rc = undo_create(w, path, size, &f, err);
	if (rc == ADPKI_OK) {
		rc = ldif_write_plan(undo, f, err);
		if (rc == ADPKI_OK)
			rc = close_synced(f, path, err);
		else
			fclose(f);
		if (rc != ADPKI_OK)
			unlink(path);
	}
	plan_free(undo);
	if (rc != ADPKI_OK)
		return adpki_fail_context(err, "the undo file could not be written, so nothing was "
		                               "changed");
	return ADPKI_OK;
}

/* What the apply callback needs: the options, and the terminal's
 * progress line, which is erased before each plan line is printed. */
typedef struct {
	const write_opts *w;
	progress_meter meter;
} apply_output;

static void
progress_line(void *ctx, const plan *p, size_t i, apply_status st, const char *note)
{
	apply_output *out = ctx;
	char *safe;

	if (!out->w->json) {
		progress_clear(&out->meter);
		plan_render_op(&p->ops[i], stdout);
		if (st != APPLY_DONE || note != NULL) {
			safe = text_safe_line(note ? note : apply_status_name(st), 0);
			printf("  (%s: %s)\n", apply_status_name(st), safe ? safe : "");
			free(safe);
		}
		fflush(stdout);
	}
	progress_step(&out->meter);
}

static void
print_ops_with_status(const plan *p, const apply_report *r, apply_status st)
{
	size_t i;

	for (i = 0; i < p->op_count; i++) {
		if (r->status[i] == st)
			plan_render_op(&p->ops[i], stderr);
	}
}

static void
print_unfinished(const plan *p, const apply_report *r)
{
	if (r == NULL)
		return;
	if (r->unanswered > 0) {
		fprintf(stderr, "adpki: sent but not answered (%zu operation%s; they may have been "
		        "applied; run the command again to be sure):\n", r->unanswered,
		        r->unanswered == 1 ? "" : "s");
		print_ops_with_status(p, r, APPLY_UNANSWERED);
	}
	if (r->pending > 0) {
		fprintf(stderr, "adpki: not applied (%zu operation%s; run the command again to "
		        "finish):\n", r->pending, r->pending == 1 ? "" : "s");
		print_ops_with_status(p, r, APPLY_PENDING);
	}
}

static int
print_json_result(const cli_globals *g, const plan *p, const apply_report *r,
                  const char *undo_path)
{
	json_t *doc = plan_to_json(p);
	adpki_error err = { ADPKI_OK, "" };
	size_t i;

	if (doc != NULL && r != NULL) {
		json_t *ops = json_object_get(doc, "operations");
		for (i = 0; i < p->op_count && i < json_array_size(ops); i++)
			json_object_set_new(json_array_get(ops, i), "result",
			                    json_string(apply_status_name(r->status[i])));
	}
	if (doc != NULL && undo_path != NULL)
		json_object_set_new(doc, "undo_file", render_json_text(undo_path));
	if (render_json(stdout, doc, &err) != ADPKI_OK) {
		json_decref(doc);
		return cli_report(g, &err);
	}
	json_decref(doc);
	return 0;
}

int
write_finish(cli_globals *g, conn *c, const plan *p, const write_opts *w)
{
	adpki_error err = { ADPKI_OK, "" };
	adpki_logger lg = cli_logger(g);
	apply_report *r = NULL;
	char undo_path[4096] = "", line[256];
	bool changes = !plan_is_empty(p);
	adpki_result rc;
	int attempt;

	if (w->ldif_path != NULL && write_ldif_file(p, w->ldif_path, false, &err) != ADPKI_OK)
		return cli_report(g, &err);
	if (w->dry_run || !changes) {
		if (w->json) {
			int jrc = print_json_result(g, p, NULL, NULL);
			if (jrc != 0)
				return jrc;
		} else if (w->ldif_path == NULL || strcmp(w->ldif_path, "-") != 0) {
			if (plan_render_diff(p, stdout, &err) != ADPKI_OK)
				return cli_report(g, &err);
		}
		return w->exit_code && changes ? ADPKI_CHANGES : 0;
	}
	if (plan_removes(p)) {
		if (write_undo(p, w, undo_path, sizeof undo_path, &err) != ADPKI_OK)
			return cli_report(g, &err);
		fprintf(stderr, "adpki: undo file: %s\n", undo_path);
	}
	for (attempt = 1;; attempt++) {
		apply_output out = { w, { 0 } };
		progress_start(&out.meter, p->op_count, !w->no_progress && !w->json);
		rc = apply_plan(c, p, &lg, progress_line, &out, &r, &err);
		progress_end(&out.meter);
		if (rc != ADPKI_OK) {
			int code = cli_report(g, &err);
			fprintf(stderr, "adpki: %zu of %zu operations applied on %s before the failure"
			        "%s\n", r ? r->done + r->already + r->kept : 0, p->op_count, c->server,
			        r && r->unanswered ? ", the outcome of some is unknown" : "");
			print_unfinished(p, r);
			if (w->json)
				print_json_result(g, p, r, undo_path[0] ? undo_path : NULL);
			apply_report_free(r);
			return code;
		}
		rc = apply_verify(c, p, r, &lg, &err);
		if (rc == ADPKI_OK || attempt == WRITE_ATTEMPTS)
			break;
		/* Another writer deleted an object this run had just written to
		 * (a tool that does not know adpki's deletion lock, see
		 * apply-delete.c): the plan is idempotent, so applying it again
		 * restores what it adds without touching anything else. */
		fprintf(stderr, "adpki: %s; another writer changed the object meanwhile: "
		        "applying the plan again (attempt %d of %d)\n", err.message, attempt + 1,
		        WRITE_ATTEMPTS);
		apply_report_free(r);
		r = NULL;
	}
	if (w->json)
		print_json_result(g, p, r, undo_path[0] ? undo_path : NULL);
	if (rc != ADPKI_OK) {
		apply_report_free(r);
		fprintf(stderr, "adpki: the directory does not show the change: %s\n", err.message);
		return (int)err.code;
	}
	if (!w->json) {
		plan_summary_line(&p->summary, line, sizeof line);
		printf("%s\n", line);
		if (r->already > 0 || r->kept > 0)
			printf("(%zu operation%s found already done by another writer, %zu object%s kept)\n",
			       r->already, r->already == 1 ? "" : "s", r->kept, r->kept == 1 ? "" : "s");
	}
	apply_report_free(r);
	return w->exit_code ? ADPKI_CHANGES : 0;
}
