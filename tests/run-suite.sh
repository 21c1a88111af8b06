#!/bin/sh
# Runs adpki's whole test suite from a fresh Debian 12 checkout, as root:
# installs dependencies, builds (warnings are errors), runs `make check`
# against real servers (Samba AD DC, slapd), and prints the harness's own
# counts as the last line: "N passed, N failed, N skipped".
#   ADPKI_SKIP_SETUP=1   do not run apt-get (dependencies already there)
set -u
cd "$(dirname "$0")/.."
top=$(pwd)

if [ "${ADPKI_SKIP_SETUP:-}" != 1 ]; then
	sh tests/setup-debian.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
fi

# Servers that cannot start are failures, not skips, in this run.
ADPKI_REQUIRE_FIXTURES=1
export ADPKI_REQUIRE_FIXTURES

# Build out of tree (as distcheck does), unless this tree is configured
# in place already (a developer's checkout), which rules that out.
if [ -f config.status ]; then
	build=$top
	configure_step=true
else
	build=$top/build-check
	rm -rf "$build"
	configure_step='./autogen.sh && cd "$build" && "$top/configure" --enable-werror -q'
fi
mkdir -p "$build"
status=0
( eval "$configure_step" && cd "$build" && make -j2 ) \
	> "$build.log" 2>&1 || { tail -50 "$build.log"; echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

(cd "$build" && make -j2 check) || status=1

# The harness's counts, from automake's test-suite.log summary.
log=$build/test-suite.log
count() { sed -n "s/^# $1: *\([0-9]*\)$/\1/p" "$log" | head -1; }
if [ ! -f "$log" ]; then
	echo "no test-suite.log: the harness did not run"
	echo "0 passed, 1 failed"
	exit 1
fi
pass=$(count PASS); xfail=$(count XFAIL); fail=$(count FAIL); xpass=$(count XPASS)
error=$(count ERROR); skip=$(count SKIP)
if [ "$status" -ne 0 ] || [ "$fail" -ne 0 ] || [ "$error" -ne 0 ]; then
	# Show what failed, so a CI log is enough to start debugging.
	grep -E '^(FAIL|ERROR|XPASS):' "$log" | head -50
	for f in $(find "$build/tests" -name '*.log' 2>/dev/null); do
		grep -q -E '^(not ok|Bail out)' "$f" && { echo "=== $f"; grep -E -A8 '^(not ok|Bail out)' "$f" | head -80; }
	done
fi
echo "$((pass + xfail)) passed, $((fail + error + xpass)) failed, $skip skipped"
[ "$status" -eq 0 ] && [ "$((fail + error + xpass))" -eq 0 ]
