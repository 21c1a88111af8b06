#!/bin/sh
# Runs adpki's whole test suite from a fresh Debian 12 checkout, as root:
# installs dependencies, then three harness runs against real servers
# (Samba AD DC, slapd):
#   1. check      the normal build (warnings are errors): make check
#   2. memcheck   the same build, every test binary and every adpki run
#                 under valgrind: make memcheck
#   3. sanitizers a second build with --enable-sanitizers (ASan, UBSan,
#                 LeakSanitizer): make check
# and, outside the harness, `make fuzz-smoke` (each libFuzzer target for
# FUZZ_SECONDS, default 60): a finding fails the suite (counted as one
# failure), a clean run adds no count.
# Each run prints a header, its own counts and its wall time; the last line
# is the sum over all runs, from each run's test-suite.log:
# "N passed, N failed, N skipped".  Exit status 0 only if every run passed.
#   ADPKI_SKIP_SETUP=1   do not run apt-get (dependencies already there)
#   ADPKI_SUITE_RUNS     runs to do, default "check memcheck sanitizers"
#
# Build directories: a clean checkout builds out of tree, in build-check/
# and build-asan/ (as distcheck does).  A developer's checkout configured in
# place (config.status at the top) rules VPATH builds out: run 1 and 2 then
# use that in-tree build, and run 3 builds a copy of the working tree (git's
# tracked and untracked, not ignored, files: exactly what run 1 tests) in
# ${TMPDIR:-/tmp}/adpki-asan-<uid>/, replaced on every run.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
runs=${ADPKI_SUITE_RUNS:-check memcheck sanitizers fuzz}

if [ "${ADPKI_SKIP_SETUP:-}" != 1 ]; then
	sh tests/setup-debian.sh || { echo "setup failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi

# Servers that cannot start are failures, not skips, in this run.
ADPKI_REQUIRE_FIXTURES=1
export ADPKI_REQUIRE_FIXTURES

total_pass=0 total_fail=0 total_skip=0
failed_runs=""
timings=""

header() { echo; echo "=================== adpki suite: $* ==================="; }
now() { date +%s; }

# fail_run NAME REASON: a run that could not even produce counts.
fail_run() {
	echo "=== $1: FAILED: $2"
	total_fail=$((total_fail + 1))
	failed_runs="$failed_runs $1"
}

# build NAME SRCDIR BUILDDIR CONFIGURE-ARGS...: configure (unless BUILDDIR
# is configured already) and make; the log is BUILDDIR.log.
build() {
	_name=$1 _src=$2 _build=$3; shift 3
	mkdir -p "$_build"
	(
		if [ ! -f "$_build/config.status" ]; then
			cd "$_build" && "$_src/configure" -q "$@" || exit 1
		fi
		cd "$_build" && make -j2
	) >"$_build.log" 2>&1 && return 0
	tail -50 "$_build.log"
	fail_run "$_name" "build failed (log: $_build.log)"
	return 1
}

# harness NAME BUILDDIR MAKE-ARGS...: one harness run, counted from its own
# test-suite.log (removed first, so a stale one is never counted).
harness() {
	_name=$1 _build=$2; shift 2
	header "$_name: (cd $_build && make $*)"
	_t0=$(now)
	rm -f "$_build/test-suite.log"
	(cd "$_build" && make "$@")
	_status=$?
	_secs=$(($(now) - _t0))
	timings="$timings $_name=${_secs}s"
	_log=$_build/test-suite.log
	if [ ! -f "$_log" ]; then
		fail_run "$_name" "no test-suite.log: the harness did not run (${_secs} s)"
		return
	fi
	_count() { _c=$(sed -n "s/^# $1: *\([0-9]*\)$/\1/p" "$_log" | head -1); echo "${_c:-0}"; }
	_pass=$(($(_count PASS) + $(_count XFAIL)))
	_fail=$(($(_count FAIL) + $(_count ERROR) + $(_count XPASS)))
	_skip=$(_count SKIP)
	if [ "$_status" -ne 0 ] && [ "$_fail" -eq 0 ]; then
		_fail=1   # make failed outside the tests: count it
	fi
	if [ "$_fail" -ne 0 ]; then
		# Show what failed, so a CI log is enough to start debugging.
		grep -E '^(FAIL|ERROR|XPASS):' "$_log" | head -50
		for f in $(find "$_build/tests" -name '*.log' 2>/dev/null); do
			grep -q -E '^(not ok|Bail out)' "$f" &&
				{ echo "=== $f"; grep -E -A8 '^(not ok|Bail out)' "$f" | head -80; }
		done
		failed_runs="$failed_runs $_name"
	fi
	echo "=== $_name: $_pass passed, $_fail failed, $_skip skipped in ${_secs} s"
	total_pass=$((total_pass + _pass))
	total_fail=$((total_fail + _fail))
	total_skip=$((total_skip + _skip))
}

case " $runs " in *" check "*|*" memcheck "*|*" fuzz "*) want_normal=1 ;; *) want_normal=0 ;; esac
case " $runs " in *" sanitizers "*) want_asan=1 ;; *) want_asan=0 ;; esac

# Configure and build once for all runs that need it.
t0=$(now)
if [ -f config.status ]; then
	in_tree=1
	normal=$top
else
	in_tree=0
	normal=$top/build-check
	rm -rf "$normal" "$top/build-asan"
	./autogen.sh >"$top/autogen.log" 2>&1 ||
		{ cat "$top/autogen.log"; echo "autogen failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
normal_ok=0
if [ "$want_normal" = 1 ]; then
	header "build: $normal"
	build build "$top" "$normal" --enable-werror && normal_ok=1
	timings="$timings build=$(($(now) - t0))s"
fi

case " $runs " in *" check "*)
	[ "$normal_ok" = 1 ] && harness check "$normal" -j2 check ;;
esac
case " $runs " in *" memcheck "*)
	[ "$normal_ok" = 1 ] && harness memcheck "$normal" -j2 memcheck ;;
esac

case " $runs " in *" fuzz "*)
	if [ "$normal_ok" = 1 ]; then
		header "fuzz: (cd $normal && make fuzz-smoke)"
		t0=$(now)
		if (cd "$normal" && make fuzz-smoke); then
			echo "=== fuzz: every target ran clean in $(($(now) - t0)) s"
		else
			fail_run fuzz "make fuzz-smoke found a crash or did not build (see above)"
		fi
		timings="$timings fuzz=$(($(now) - t0))s"
	fi ;;
esac

if [ "$want_asan" = 1 ]; then
	t0=$(now)
	asan_ok=0
	if [ "$in_tree" = 0 ]; then
		asan_src=$top
		asan=$top/build-asan
		asan_ok=1
	elif git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		asan_tmp=${TMPDIR:-/tmp}/adpki-asan-$(id -u)
		asan_src=$asan_tmp/src
		asan=$asan_tmp/build
		echo "##################################################################"
		echo "# sanitizers: this tree is configured in place, so no out-of-tree"
		echo "# build is possible here; building a copy of the working tree in"
		echo "# $asan_tmp"
		echo "##################################################################"
		rm -rf "$asan_tmp"
		mkdir -p "$asan_src"
		if git -C "$top" ls-files -z -c -o --exclude-standard |
			(cd "$top" && tar --null --ignore-failed-read -T - -cf -) | (cd "$asan_src" && tar -xf -) &&
			(cd "$asan_src" && ./autogen.sh) >"$asan_tmp/autogen.log" 2>&1; then
			asan_ok=1
		else
			cat "$asan_tmp/autogen.log" 2>/dev/null
			fail_run sanitizers "could not copy the working tree to $asan_src"
		fi
	else
		echo "##################################################################"
		echo "# SKIPPING the sanitizer run: this tree is configured in place and"
		echo "# is not a git checkout to copy.  Run 'make distclean' first."
		echo "##################################################################"
	fi
	if [ "$asan_ok" = 1 ]; then
		header "build: $asan (--enable-sanitizers)"
		if build sanitizers-build "$asan_src" "$asan" --enable-werror --enable-sanitizers; then
			timings="$timings build-asan=$(($(now) - t0))s"
			harness sanitizers "$asan" -j2 check
		fi
	fi
fi

header "summary"
echo "wall times:$timings"
[ -n "$failed_runs" ] && echo "FAILED runs:$failed_runs"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ -z "$failed_runs" ] && [ "$total_fail" -eq 0 ]
