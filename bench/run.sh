# bench/run.sh - adpki's speed figures against a private slapd (and,
# optionally, the Samba fixture).  Not a test: it prints a table of medians.
# Run with `make bench`, or by hand from the build tree: sh bench/run.sh
# What each figure means: bench/README.
#
# Knobs (environment):
#   BENCH_RUNS=5        runs per figure (the median is printed; expensive
#                       figures use at most BENCH_RUNS_SLOW=3)
#   BENCH_BIG=10000     objects in the large list case (1,000 is the small one)
#   ADPKI_KEEP_TMP=1    keep the scratch directory (data, logs, outputs)

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_srcdir
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fixtures/slapd.sh"

BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_RUNS_SLOW=${BENCH_RUNS_SLOW:-3}
[ "$BENCH_RUNS_SLOW" -le "$BENCH_RUNS" ] || BENCH_RUNS_SLOW=$BENCH_RUNS
BENCH_BIG=${BENCH_BIG:-10000}
SMALL=1000
RESULTS=$T/results.tsv
: >"$RESULTS"

[ -x "$ADPKI" ] || { echo "bench: $ADPKI not built (make adpki)" >&2; exit 1; }

now() { date +%s.%N; }

# median FILE [COLUMN]: the median of the numbers in COLUMN (default 1).
median() {
	awk -v c="${2:-1}" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 }
		END { if (NR == 0) { print "n/a"; exit }
		      if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
		      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# record FIGURE VALUE UNIT BASELINE [CPU]: one row of the final table.
record() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" "${5:-}" >>"$RESULTS"
	printf '# %-58s %9s %-2s cpu %s\n' "$1" "$2" "$3" "${5:--}" >&2
}

# cpu FILE: user+system seconds of this shell's finished children (the
# client side: adpki, ldapsearch; not slapd), from `times` saved in FILE.
# `times` must run in this shell: a subshell starts its counts at zero.
cpu() {
	awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
		printf "%.4f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}

# timed OUT COMMAND...: runs COMMAND once (stdout to OUT, stderr to OUT.err)
# and prints "WALL CPU" in seconds; a failing command stops the benchmark
# (a figure of a failed run would be meaningless).
timed() {
	_out=$1; shift
	_a=$(now)
	times >"$T/cpu0"
	if ! "$@" >"$_out" 2>"$_out.err"; then
		echo "bench: failed: $*" >&2
		tail -n 20 "$_out.err" >&2
		exit 1
	fi
	times >"$T/cpu1"
	_b=$(now)
	awk "BEGIN { printf \"%.4f %.4f\\n\", $_b - $_a, $(cpu "$T/cpu1") - $(cpu "$T/cpu0") }"
}

# bench FIGURE RUNS BASELINE COMMAND...: median wall time of RUNS runs.
bench() {
	_fig=$1 _runs=$2 _base=$3; shift 3
	: >"$T/times"
	_r=0
	while [ $_r -lt "$_runs" ]; do
		timed "$T/bench.out" "$@" >>"$T/times" || exit 1
		_r=$((_r + 1))
	done
	record "$_fig" "$(median "$T/times")" s "$_base" "$(median "$T/times" 2)"
}

# bench_pair FIGURE_A FIGURE_B RUNS BASE_A BASE_B CMD_A -- CMD_B: runs A
# then B (B undoes A) RUNS times, median of each.
bench_pair() {
	_fa=$1 _fb=$2 _runs=$3 _ba=$4 _bb=$5; shift 5
	_cmd_a=$1 _cmd_b=$2
	: >"$T/times-a"; : >"$T/times-b"
	_r=0
	while [ $_r -lt "$_runs" ]; do
		BENCH_RUN=$_r
		eval "timed \"\$T/a.out\" $_cmd_a" >>"$T/times-a" || exit 1
		eval "timed \"\$T/b.out\" $_cmd_b" >>"$T/times-b" || exit 1
		_r=$((_r + 1))
	done
	record "$_fa" "$(median "$T/times-a")" s "$_ba" "$(median "$T/times-a" 2)"
	record "$_fb" "$(median "$T/times-b")" s "$_bb" "$(median "$T/times-b" 2)"
}

# adpki against slapd as root (EXTERNAL over ldapi).
ad() { "$ADPKI" "$@" -H "$SLAPD_URI" -Y EXTERNAL --config-nc="$SLAPD_CONFIG_NC"; }
raw_search() {
	slapd_root ldapsearch -LLL -o ldif-wrap=no -b "$SLAPD_PKS_DN" -s sub \
		'(objectClass=certificationAuthority)' cn cACertificate
}

# files_from_tsv TSV DIR: one DER file per "CN<TAB>base64" line.
files_from_tsv() {
	mkdir -p "$2"
	python3 - "$1" "$2" <<'EOF' || return 1
import base64, sys
for i, line in enumerate(open(sys.argv[1]), 1):
    cn, b64 = line.rstrip("\n").split("\t")
    with open("%s/%05d.der" % (sys.argv[2], i), "wb") as f:
        f.write(base64.b64decode(b64))
EOF
}

# file_list DIR N: the first N files of DIR (names without spaces).
file_list() { ls "$1" | head -n "$2" | sed "s|^|$1/|" | tr '\n' ' '; }

# ntauth_ldif TSV N: an LDIF that creates CN=NTAuthCertificates with the
# first N certificates of TSV as its cACertificate values.
ntauth_ldif() {
	head -n "$2" "$1" | awk -F '\t' -v dn="CN=NTAuthCertificates,$SLAPD_PKS_DN" '
		NR == 1 { printf "dn: %s\nobjectClass: certificationAuthority\ncn: NTAuthCertificates\n", dn
			  printf "authorityRevocationList:: AA==\ncertificateRevocationList:: AA==\n" }
		{ printf "cACertificate:: %s\n", $2 }'
}

# ------------------------------------------------------------------------
echo "# adpki benchmark: $BENCH_RUNS runs per figure (slow ones $BENCH_RUNS_SLOW), medians"
echo "# $(uname -srm), $(nproc) CPU(s), $("$ADPKI" --version 2>&1 | head -n 1)"

# --- data: 1,000 CA objects loaded before start; certificates for publish.
t0=$(now)
slapd_add_many $SMALL "CN=Certification Authorities" "Bench A" ||
	fixture_unavailable "slapd: cannot load $SMALL objects"
NEW_TSV=$(_slapd_certs 1000 "Bench New") || fixture_unavailable "cannot make certificates"
files_from_tsv "$NEW_TSV" "$T/new" || fixture_unavailable "python3 cannot write DER files"
echo "# data for $SMALL: $(awk "BEGIN { printf \"%.1f\", $(now) - $t0 }") s"
slapd_start

n=$(raw_search | grep -c '^dn:')
[ "$n" -eq $SMALL ] || { echo "bench: slapd holds $n CA objects, not $SMALL" >&2; exit 1; }

# --- list, 1,000 objects
bench "ldapsearch of all CA objects, 1,000 (reference)" "$BENCH_RUNS" "0.027 s" raw_search
bench "list --format=json, 1,000 objects" "$BENCH_RUNS" "0.31 s (ldapsearch+certtool)" \
	ad list --format=json
n=$(grep -c '"sha1"' "$T/bench.out" || :)
[ "$n" -ge $SMALL ] || diag "warning: list json shows $n sha1 fields, expected >= $SMALL"
bench "list (table), 1,000 objects" "$BENCH_RUNS" "0.31 s (ldapsearch+certtool)" ad list

# --- show: offline, 1,000 files in one invocation
FILES_1000=$(file_list "$T/new" 1000)
FILES_100=$(file_list "$T/new" 100)
# shellcheck disable=SC2086
bench "show (table), 1,000 files" "$BENCH_RUNS" "" "$ADPKI" show $FILES_1000
# shellcheck disable=SC2086
bench "show --format=json, 1,000 files" "$BENCH_RUNS" "" "$ADPKI" show --format=json $FILES_1000

# --- publish / remove of N new files, 1,000 objects already there
for N in 100 1000; do
	eval "FILES=\$FILES_$N"
	# shellcheck disable=SC2086
	bench "publish -n, $N new files (1,000 present)" "$BENCH_RUNS" "" ad publish -n $FILES
	case $N in 1000) runs=$BENCH_RUNS_SLOW base="ldapadd 1,000 entries: 1.1 s" ;;
	*) runs=$BENCH_RUNS base= ;; esac
	bench_pair "publish, $N new files (1,000 present)" "remove, those $N files" \
		"$runs" "$base" "" \
		"ad publish $FILES" \
		"ad remove --undo-file=\"\$T/undo-$N-\$BENCH_RUN.ldif\" $FILES"
	n=$(raw_search | grep -c '^dn:')
	[ "$n" -eq $SMALL ] || { echo "bench: remove left $n CA objects, not $SMALL" >&2; exit 1; }
	# The same 2N objects (Certification Authorities and AIA) by hand.
	head -n "$N" "$NEW_TSV" | awk -F '\t' -v pks="$SLAPD_PKS_DN" '{
		for (i = 1; i <= 2; i++) {
			c = i == 1 ? "CN=Certification Authorities" : "CN=AIA"
			printf "dn: CN=%s,%s,%s\nobjectClass: certificationAuthority\ncn: %s\n", $1, c, pks, $1
			printf "cACertificate:: %s\nauthorityRevocationList:: AA==\n", $2
			printf "certificateRevocationList:: AA==\n\n" } }' >"$T/ref-$N.ldif"
	sed -n 's/^dn: //p' "$T/ref-$N.ldif" >"$T/ref-$N.dns"
	bench_pair "ldapadd of the same $((2 * N)) objects (reference)" \
		"ldapdelete of them (reference)" "$runs" "" "" \
		"slapd_root ldapadd -f \"\$T/ref-$N.ldif\"" \
		"slapd_root ldapdelete -f \"\$T/ref-$N.dns\""
done

# --- one value into an N-valued NTAuthCertificates
SMALL_TSV=$(_slapd_certs $SMALL "Bench A")
ONE=$T/new/00001.der
ONE_B64=$(base64 -w0 <"$ONE")
ntauth_bench() {  # ntauth_bench N TSV
	ntauth_ldif "$2" "$1" >"$T/ntauth.ldif"
	slapd_root ldapadd -f "$T/ntauth.ldif" >"$T/ntauth.log" 2>&1 ||
		{ echo "bench: cannot create NTAuth with $1 values" >&2; cat "$T/ntauth.log" >&2; exit 1; }
	_ntdn="CN=NTAuthCertificates,$SLAPD_PKS_DN"
	printf 'dn: %s\nchangetype: modify\nadd: cACertificate\ncACertificate:: %s\n' \
		"$_ntdn" "$ONE_B64" >"$T/nt-add.ldif"
	printf 'dn: %s\nchangetype: modify\ndelete: cACertificate\ncACertificate:: %s\n' \
		"$_ntdn" "$ONE_B64" >"$T/nt-del.ldif"
	_lbl=$(printf '%s' "$1" | sed 's/000$/,000/')
	bench_pair "ldapmodify add 1 value, NTAuth of $_lbl (reference)" \
		"ldapmodify delete it (reference)" "$BENCH_RUNS" "$3" "" \
		"slapd_root ldapmodify -f \"\$T/nt-add.ldif\"" \
		"slapd_root ldapmodify -f \"\$T/nt-del.ldif\""
	bench "publish -n --as=ntauth 1 file, NTAuth of $_lbl" "$BENCH_RUNS" "" \
		ad publish -n --as=ntauth "$ONE"
	bench_pair "publish --as=ntauth 1 file, NTAuth of $_lbl" \
		"remove --from=ntauth it, NTAuth of $_lbl" "$BENCH_RUNS" "$3" "" \
		"ad publish --as=ntauth \"\$ONE\"" \
		"ad remove --from=ntauth --undo-file=\"\$T/undo-nt$1-\$BENCH_RUN.ldif\" \"\$ONE\""
	slapd_root ldapdelete "$_ntdn" >/dev/null 2>&1 ||
		{ echo "bench: cannot delete NTAuth" >&2; exit 1; }
}
ntauth_bench $SMALL "$SMALL_TSV" "0.020 s"

# --- 10,000 objects: stop, slapadd the rest, start again
slapd_stop
t0=$(now)
slapd_add_many $((BENCH_BIG - SMALL)) "CN=Certification Authorities" "Bench B" ||
	{ echo "bench: cannot load $((BENCH_BIG - SMALL)) more objects" >&2; exit 1; }
echo "# data for $BENCH_BIG: $(awk "BEGIN { printf \"%.1f\", $(now) - $t0 }") s"
slapd_start
n=$(raw_search | grep -c '^dn:')
[ "$n" -eq "$BENCH_BIG" ] || { echo "bench: slapd holds $n CA objects, not $BENCH_BIG" >&2; exit 1; }
BIG=$(printf '%s' "$BENCH_BIG" | sed 's/000$/,000/')
# The notes' baselines are for 10,000 only.
base() { [ "$BENCH_BIG" -eq 10000 ] && echo "$1"; }

bench "ldapsearch of all CA objects, $BIG (reference)" "$BENCH_RUNS" "$(base "0.23 s")" raw_search
bench "list --format=json, $BIG objects" "$BENCH_RUNS" "$(base "2.5 s (ldapsearch+certtool)")" \
	ad list --format=json
bench "list (table), $BIG objects" "$BENCH_RUNS" "$(base "2.5 s (ldapsearch+certtool)")" ad list
: >"$T/mem"
r=0
while [ $r -lt "$BENCH_RUNS_SLOW" ]; do
	/usr/bin/time -f %M -o "$T/mem.one" "$ADPKI" list --format=json -H "$SLAPD_URI" \
		-Y EXTERNAL --config-nc="$SLAPD_CONFIG_NC" >/dev/null 2>&1 ||
		{ echo "bench: list under /usr/bin/time failed" >&2; exit 1; }
	tail -n 1 "$T/mem.one" >>"$T/mem"
	r=$((r + 1))
done
record "peak RSS of list --format=json, $BIG objects" \
	"$(awk "BEGIN { printf \"%.1f\", $(median "$T/mem") / 1024 }")" MB "$(base "261 MB (certtool)")"
# shellcheck disable=SC2086
bench "publish -n, 1000 new files ($BIG present)" "$BENCH_RUNS" "" ad publish -n $FILES_1000
bench_pair "publish, 100 new files ($BIG present)" "remove, those 100 files ($BIG present)" \
	"$BENCH_RUNS_SLOW" "" "" \
	"ad publish $FILES_100" \
	"ad remove --undo-file=\"\$T/undo-big-\$BENCH_RUN.ldif\" $FILES_100"

BIG_TSV=$(cat "$(_slapd_certs $SMALL "Bench A")" "$(_slapd_certs $((BENCH_BIG - SMALL)) "Bench B")" >"$T/big.tsv" && echo "$T/big.tsv")
ntauth_bench "$BENCH_BIG" "$BIG_TSV" "$(base "0.038 s")"
slapd_stop

# --- the table
echo
echo "# wall: median wall-clock seconds; client CPU: median user+system seconds"
echo "# of adpki (or the reference tool) itself; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-58s | %10s | %10s | %-30s |\n' "figure (median of runs)" "wall" "client CPU" "baseline (notes/fixtures.md)"
printf '|%s|%s|%s|%s|\n' "$(printf '%060d' 0 | tr 0 -)" "------------" "------------" "--------------------------------"
awk -F '\t' '{ printf "| %-58s | %7s %-2s | %10s | %-30s |\n", $1, $2, $3, ($5 == "" ? "" : $5 " s"), $4 }' "$RESULTS"
