# tests/lib.sh - shared helpers for adpki's shell tests (sourced).
# Every test script speaks TAP; the automake harness counts the cases.
# Paths: $top_srcdir, $top_builddir, $ADPKI, $SAMPLES come from Makefile.am;
# defaults let a script run by hand from the build tree.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${ADPKI:=$top_builddir/adpki}"
: "${SAMPLES:=$top_srcdir/samples}"
export top_srcdir top_builddir ADPKI SAMPLES

TAP_N=0
TAP_FAILED=0

ok() {      # ok DESCRIPTION  (records a pass)
	TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"
}
not_ok() {  # not_ok DESCRIPTION [DETAIL...]
	TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"; shift
	for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
check() {   # check DESCRIPTION COMMAND...  (pass when the command succeeds)
	desc=$1; shift
	if "$@" >"$T/check.out" 2>&1; then ok "$desc"
	else not_ok "$desc" "command: $*" "$(head -c 3000 "$T/check.out")"; fi
}
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
done_testing() {
	if [ -n "${ADPKI_WRAPPER:-}" ]; then
		if [ -s "$T/wrapper-errors" ]; then
			not_ok "adpki runs clean under ADPKI_WRAPPER (see its report on their stderr)" \
				"$(head -20 "$T/wrapper-errors")"
		else
			ok "adpki runs clean under ADPKI_WRAPPER"
		fi
	fi
	echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]
}

# A fixture that cannot start: in CI (CI=true) that is a failure, never a
# silent skip; on a developer's machine the whole script skips, loudly.
fixture_unavailable() {
	reason=$*
	if [ "${CI:-}" = true ] || [ "${ADPKI_REQUIRE_FIXTURES:-}" = 1 ]; then
		echo "Bail out! fixture unavailable in CI: $reason"
		exit 1
	fi
	echo "#####################################################################" >&2
	echo "# SKIPPING $(basename "$0"): $reason" >&2
	echo "#####################################################################" >&2
	echo "1..0 # SKIP $reason"
	exit 0
}

# Private scratch directory per test script, removed on exit unless
# ADPKI_KEEP_TMP=1.  Fixture stop hooks run first.
T=$(mktemp -d "${TMPDIR:-/tmp}/adpki-test.XXXXXX")
export T
CLEANUP_HOOKS=""
add_cleanup() { CLEANUP_HOOKS="$1; $CLEANUP_HOOKS"; }
run_cleanup() {
	eval "$CLEANUP_HOOKS"
	if [ "${ADPKI_KEEP_TMP:-}" = 1 ]; then echo "# kept $T" >&2; else rm -rf "$T"; fi
}
trap run_cleanup EXIT
trap 'exit 130' INT TERM

# Runs adpki (under $ADPKI_WRAPPER, e.g. valgrind, when set).  A run that
# ends with the wrapper's error status (ADPKI_WRAPPER_STATUS, default 99:
# `make memcheck` gives valgrind --error-exitcode=99) is recorded, and
# done_testing then fails the script, even where a test looks at neither
# adpki's exit status nor its stderr.
adpki() {
	if [ -z "${ADPKI_WRAPPER:-}" ]; then "$ADPKI" "$@"; return; fi
	# shellcheck disable=SC2086
	${ADPKI_WRAPPER} "$ADPKI" "$@"
	_adpki_rc=$?
	[ "$_adpki_rc" -ne "${ADPKI_WRAPPER_STATUS:-99}" ] ||
		printf 'adpki %s\n' "$*" >>"$T/wrapper-errors"
	return "$_adpki_rc"
}
