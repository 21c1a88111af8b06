# bench/run.sh - adpki's speed and memory figures against a private slapd
# (AD-like schema; EXTERNAL over ldapi, and a simple bind inside StartTLS on
# ldap://) and a throwaway Samba AD DC (GSSAPI with sealing), directly and
# through a proxy that delays every packet 10 ms each way (a DC in another
# site).  Not a test: it prints one table of medians, ratios to the baseline
# tool measured in the same run (interleaved), spreads, peak memory, LDAP
# round trips and the issue's target verdicts.
# Run with `make bench`, or by hand from the build tree: sh bench/run.sh
# What each figure means, and the knobs: bench/README.
#
# Knobs (environment; defaults take ~20 minutes on 2 cores):
#   BENCH_RUNS=5          runs of every figure (median; >= 5 for the targets)
#   BENCH_RUNS_SLOW=3     runs of the slow figures (the per-certificate
#                         openssl pipeline, serial writes through the proxy,
#                         writes on Samba)
#   BENCH_SMALL=1000 BENCH_BIG=10000   objects in the two list cases
#   BENCH_PUBLISH=500     certificates published (and in the plan's bundle)
#   BENCH_NTAUTH=5000     values of CN=NTAuthCertificates (and 100, to compare)
#   BENCH_EXPIRED=1000    expired objects among BENCH_BIG, for prune
#   BENCH_DELAY_MS=10     the proxy's delay each way
#   BENCH_SAMBA=1         0: slapd only
#   BENCH_SAMBA_BIG=1     0: Samba at BENCH_SMALL only (loading BENCH_BIG
#                         objects into Samba takes about a minute)
#   BENCH_PIPE=1          0: skip the per-certificate openssl pipeline (~40 s a run)
#   BENCH_QUICK=1         a short smoke run: small sizes, 3 runs, 1 slow run
#   BENCH_RESULTS=FILE    where the table also goes (default
#                         $top_builddir/bench/last-run.md)
#   ADPKI_KEEP_TMP=1      keep the scratch directory (data, outputs, logs)

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_srcdir
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fixtures/slapd.sh"
BENCH=$top_srcdir/bench
# A fixture that cannot start stops the benchmark (never a silent skip).
ADPKI_REQUIRE_FIXTURES=1

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_RUNS:=3}" "${BENCH_RUNS_SLOW:=1}" "${BENCH_SMALL:=200}" \
	  "${BENCH_BIG:=2000}" "${BENCH_PUBLISH:=100}" "${BENCH_NTAUTH:=1000}" \
	  "${BENCH_EXPIRED:=200}" "${BENCH_SAMBA_BIG:=0}"
fi
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_RUNS_SLOW=${BENCH_RUNS_SLOW:-3}
BENCH_SMALL=${BENCH_SMALL:-1000}
BENCH_BIG=${BENCH_BIG:-10000}
BENCH_PUBLISH=${BENCH_PUBLISH:-500}
BENCH_NTAUTH=${BENCH_NTAUTH:-5000}
BENCH_NTAUTH_LOW=100
BENCH_EXPIRED=${BENCH_EXPIRED:-1000}
BENCH_DELAY_MS=${BENCH_DELAY_MS:-10}
BENCH_SAMBA=${BENCH_SAMBA:-1}
BENCH_SAMBA_BIG=${BENCH_SAMBA_BIG:-1}
BENCH_PIPE=${BENCH_PIPE:-1}
BENCH_SAMBA_IP=${BENCH_SAMBA_IP:-127.0.0.9}
BENCH_RESULTS=${BENCH_RESULTS:-$top_builddir/bench/last-run.md}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$ADPKI" ] || die "$ADPKI not built (make adpki)"
[ -x /usr/bin/time ] || die "/usr/bin/time not installed (package time)"
python3 -c 'import cryptography' 2>/dev/null || die "python3-cryptography not installed"
command -v certtool >/dev/null 2>&1 || die "certtool not installed (gnutls-bin)"
command -v openssl >/dev/null 2>&1 || die "openssl not installed"
[ "$BENCH_NTAUTH" -le "$((BENCH_BIG - BENCH_SMALL - BENCH_EXPIRED))" ] ||
	die "BENCH_NTAUTH must be at most BENCH_BIG - BENCH_SMALL - BENCH_EXPIRED"

# A private copy: a rebuild during the run must not change (or break) it.
cp "$ADPKI" "$T/adpki" || die "cannot copy $ADPKI"
ADPKI=$T/adpki
BIN=$T/bin M=$T/m OUT=$T/out ROWS=$T/rows.tsv
mkdir -p "$BIN" "$M" "$OUT" "$T/undo" "$T/data"
: >"$ROWS"
T_START=$(date +%s)
now() { date +%s.%N; }
say() { echo "# [$(( $(date +%s) - T_START )) s] $*" >&2; }
fmt_n() { printf '%s' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'; }

# --- commands -----------------------------------------------------------------
# Every timed command is a small script $BIN/KEY, so that /usr/bin/time runs
# exactly it (its peak RSS is the command's own: the script execs it).
# $BIN/KEY.before and $BIN/KEY.after, when present, run untimed around each
# run (setup, and cleanup plus a check that the run did what it should).

q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
# cmd KEY WORD...: $BIN/KEY execs WORD... (each word one argument).
cmd() {
	_n=$1; shift
	{ echo '#!/bin/sh'; printf 'exec'; for _w; do printf ' %s' "$(q "$_w")"; done; echo; } >"$BIN/$_n"
	chmod +x "$BIN/$_n"
}
# script KEY TEXT: $BIN/KEY runs the sh TEXT (pipelines, several commands).
script() {
	printf '#!/bin/sh\nset -e\n%s\n' "$2" >"$BIN/$1"
	chmod +x "$BIN/$1"
}

# run_one KEY: one timed run of $BIN/KEY.  Appends "wall rss_kb S W R" to
# $M/KEY (S W R: adpki --verbose's searches, writes and round trips, "-"
# for other tools).  A failing command stops the benchmark: a figure of a
# failed run would mean nothing.
run_one() {
	_k=$1
	if [ -x "$BIN/$_k.before" ] && ! "$BIN/$_k.before" >"$OUT/$_k.before.log" 2>&1; then
		die "setup of $_k failed: $(tail -n 5 "$OUT/$_k.before.log")"
	fi
	_a=$(now)
	if ! /usr/bin/time -f %M -o "$T/rss" "$BIN/$_k" >"$OUT/$_k.out" 2>"$OUT/$_k.err" </dev/null; then
		echo "bench: failed: $(tail -n 1 "$BIN/$_k")" >&2
		tail -n 20 "$OUT/$_k.err" >&2
		exit 1
	fi
	_b=$(now)
	_c=$(sed -n 's/^adpki: LDAP: \([0-9]*\) search[es]*, \([0-9]*\) writes*; \([0-9]*\) round trips* .*/\1 \2 \3/p' \
		"$OUT/$_k.err" | tail -n 1)
	echo "$(awk "BEGIN { printf \"%.4f\", $_b - $_a }") $(tail -n 1 "$T/rss") ${_c:-- - -}" >>"$M/$_k"
	if [ -x "$BIN/$_k.after" ] && ! "$BIN/$_k.after" >"$OUT/$_k.after.log" 2>&1; then
		die "cleanup/check after $_k failed: $(tail -n 5 "$OUT/$_k.after.log")"
	fi
}

# interleave [-w] RUNS KEY...: RUNS rounds, each running every KEY once,
# the order reversed every other round (A B, B A, ...) so that drift of the
# machine hits both sides alike.  -w: one untimed warm-up round first.
interleave() {
	_warm=0
	[ "$1" = -w ] && { _warm=1; shift; }
	_runs=$1; shift
	if [ $_warm = 1 ]; then
		for _k; do run_one "$_k"; done
		for _k; do : >"$M/$_k"; done
	fi
	_rev=
	for _k; do _rev="$_k $_rev"; done
	_r=0
	while [ $_r -lt "$_runs" ]; do
		if [ $((_r % 2)) = 0 ]; then for _k; do run_one "$_k"; done
		else for _k in $_rev; do run_one "$_k"; done; fi
		_r=$((_r + 1))
	done
}

# stats KEY: "median min max peak_rss_MiB S W R" (S W R of the last run).
stats() {
	sort -n -k1,1 "$M/$1" | awk '
		{ v[NR] = $1; if ($2 > rss) rss = $2; s = $3; w = $4; r = $5 }
		END { if (NR == 0) { print "- - - - - - -"; exit }
		      med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.3f %.3f %.3f %.1f %s %s %s\n", med, v[1], v[NR], rss / 1024, s, w, r }'
}

# row WHAT N KEY BASE_KEY TARGET_LABEL TARGET_COND: one line of the table.
# BASE_KEY "-": no baseline.  TARGET_COND: an awk condition over a (adpki
# median s), b (baseline median s), r (a/b), m (adpki peak MiB), s w rt
# (adpki's searches, writes, round trips); "-": the issue sets no target.
row() {
	set -- "$1" "$2" "$3" "$4" "$5" "$6" "$(stats "$3")"
	if [ "$4" = - ]; then _bs="- - - - - - -"; else _bs=$(stats "$4"); fi
	echo "$_bs" | {
		read -r b bmin bmax _ _ _ _
		echo "$7" | {
			read -r a amin amax m s w rt
			awk -v what="$1" -v n="$2" -v base="$4" -v tl="$5" -v tc="$6" \
				-v a="$a" -v amin="$amin" -v amax="$amax" -v m="$m" -v s="$s" -v w="$w" -v rt="$rt" \
				-v b="$b" -v bmin="$bmin" -v bmax="$bmax" 'BEGIN {
				r = (b == "-" || b + 0 == 0) ? "-" : sprintf("%.3g", a / b)
				spread = sprintf("%.3f-%.3f", amin, amax)
				if (b != "-") spread = spread " / " sprintf("%.3f-%.3f", bmin, bmax)
				ops = (s == "-") ? "-" : s "/" w "/" rt
				printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", what, n, a, \
					(b == "-" ? "-" : b), r, spread, m, ops, tl, tc
			}' >>"$ROWS"
		}
	}
	tail -n 1 "$ROWS" | awk -F '\t' '{ printf "# %-52s adpki %s s, baseline %s s, ratio %s, %s MiB, S/W/R %s\n", $1 " (" $2 ")", $3, $4, $5, $7, $8 }' >&2
}
# row_diff WHAT N KEY_A KEY_B TARGET_LABEL TARGET_COND: a row whose figure
# is median(A) - median(B) (what B's conditions do not have: e.g. the time
# the proxy's latency adds); memory and S/W/R are A's.
row_diff() {
	_sa=$(stats "$3") _sb=$(stats "$4")
	printf '%s\n' "$_sa" "$_sb" | awk -v what="$1" -v n="$2" -v tl="$5" -v tc="$6" '
		NR == 1 { a = $1; m = $4; ops = ($5 == "-") ? "-" : $5 "/" $6 "/" $7 }
		NR == 2 { printf "%s\t%s\t%.3f\t-\t-\t-\t%s\t%s\t%s\t%s\n", what, n, a - $1, m, ops, tl, tc }' >>"$ROWS"
	tail -n 1 "$ROWS" | awk -F '\t' '{ printf "# %-52s %s s\n", $1 " (" $2 ")", $3 }' >&2
}
# note TEXT: a line printed under the table.
note() { echo "$*" >>"$T/notes"; }
: >"$T/notes"

# verdict: one line per row of $ROWS, "met", "NOT met" or "-", from the
# row's own numbers (a value that is "-", i.e. missing, fails its target).
verdict() {
	while IFS='	' read -r _what _n a b r _sp m ops _tl tc; do
		if [ "$tc" = - ]; then echo -; continue; fi
		s=${ops%%/*} rt=${ops##*/} w=${ops#*/} w=${w%%/*}
		# r again from the medians, not from the rounded column.
		[ "$b" != - ] && r=$(awk -v a="$a" -v b="$b" 'BEGIN { print (b + 0 == 0) ? "-" : a / b }')
		if awk -v a="$a" -v b="$b" -v r="$r" -v m="$m" -v s="$s" -v w="$w" -v rt="$rt" '
			BEGIN { bad = 0
				if (index("'"$tc"'", "a") && a == "-") bad = 1
				if (index("'"$tc"'", "r") && r == "-") bad = 1
				if (index("'"$tc"'", "m") && m == "-") bad = 1
				if (index("'"$tc"'", "w") && w == "-") bad = 1
				if (index("'"$tc"'", "s") && s == "-") bad = 1
				exit (bad || !('"$tc"')) }'; then echo met
		else echo "NOT met"; fi
	done <"$ROWS"
}

# --- data ---------------------------------------------------------------------
say "adpki benchmark: $BENCH_RUNS runs per figure (slow ones $BENCH_RUNS_SLOW)"
NEW=$BENCH_PUBLISH B_COUNT=$((BENCH_BIG - BENCH_SMALL - BENCH_EXPIRED))
t0=$(now)
slapd_add_many "$BENCH_SMALL" "CN=Certification Authorities" "Bench A" ||
	die "slapd: cannot load $BENCH_SMALL objects"
B_TSV=$(_slapd_certs "$B_COUNT" "Bench B") || die "cannot make certificates"
NEW_TSV=$(_slapd_certs "$NEW" "Bench New") || die "cannot make certificates"
python3 "$BENCH/expired-certs.py" "$BENCH_EXPIRED" "Bench Expired" >"$T/data/expired.tsv" ||
	die "cannot make expired certificates"
ONE_TSV=$(_slapd_certs 1 "Bench One") || die "cannot make certificates"
cut -f2 "$ONE_TSV" | base64 -d >"$T/data/one.der"
ONE_B64=$(cut -f2 "$ONE_TSV")
# The bundle of NEW certificates (PEM), for publish and for the plan.
cut -f2 "$NEW_TSV" | while IFS= read -r b; do
	echo "-----BEGIN CERTIFICATE-----"; printf '%s\n' "$b" | fold -w 64
	echo "-----END CERTIFICATE-----"
done >"$T/data/bundle.pem"
say "certificates: $(awk "BEGIN { printf \"%.1f\", $(now) - $t0 }") s"

# ca_ldif TSV CONTAINER_DN: certificationAuthority objects as AD has them.
ca_ldif() {
	awk -F '\t' -v cont="$2" '{
		printf "dn: CN=%s,%s\nobjectClass: certificationAuthority\ncn: %s\n", $1, cont, $1
		printf "cACertificate:: %s\n", $2
		printf "authorityRevocationList:: AA==\ncertificateRevocationList:: AA==\n\n" }' "$1"
}
dns_of() { awk -F '\t' -v cont="$2" '{ printf "CN=%s,%s\n", $1, cont }' "$1"; }

# --- slapd: TLS (StartTLS on ldap://) and a root password for simple binds ----
mkdir -p "$T/tls"
printf '%s\n' 'cn = "adpki bench CA"' ca cert_signing_key 'expiration_days = 30' >"$T/tls/ca.tmpl"
printf '%s\n' 'cn = "localhost"' 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
	tls_www_server encryption_key signing_key 'expiration_days = 30' >"$T/tls/srv.tmpl"
{
	certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$T/tls/ca.key" &&
	certtool --generate-self-signed --load-privkey "$T/tls/ca.key" \
		--template "$T/tls/ca.tmpl" --outfile "$T/tls/ca.pem" &&
	certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$T/tls/srv.key" &&
	certtool --generate-certificate --load-privkey "$T/tls/srv.key" \
		--load-ca-certificate "$T/tls/ca.pem" --load-ca-privkey "$T/tls/ca.key" \
		--template "$T/tls/srv.tmpl" --outfile "$T/tls/srv.pem"
} >"$T/tls/certtool.log" 2>&1 || die "certtool failed: $(tail -n 3 "$T/tls/certtool.log")"
ROOT_PW=bench-root-secret
printf '%s' "$ROOT_PW" >"$T/rootpw"; chmod 600 "$T/rootpw"
# slapd.conf: TLS files are global (before "database"); rootpw is the
# database's.  slapd.sh writes the file once per scratch directory.
sed -i -e "/^database mdb/i TLSCACertificateFile $T/tls/ca.pem\nTLSCertificateFile $T/tls/srv.pem\nTLSCertificateKeyFile $T/tls/srv.key\n" \
	-e "/^rootdn /a rootpw $ROOT_PW" "$SLAPD_DIR/slapd.conf"
export LDAPTLS_CACERT="$T/tls/ca.pem"

# --- the delay proxy ----------------------------------------------------------
PROXY_PID=
proxy_stop() {
	[ -n "$PROXY_PID" ] || return 0
	kill "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	PROXY_PID=
}
add_cleanup proxy_stop
# proxy_start LISTEN_IP TARGET_IP:PORT: sets PROXY_PORT.
proxy_start() {
	proxy_stop
	rm -f "$T/proxy.port"
	python3 "$BENCH/delay-proxy.py" --delay-ms="$BENCH_DELAY_MS" --port-file="$T/proxy.port" \
		"$1:0" "$2" 2>>"$T/proxy.log" &
	PROXY_PID=$!
	_i=0
	while [ ! -s "$T/proxy.port" ]; do
		kill -0 "$PROXY_PID" 2>/dev/null || die "delay proxy died: $(tail -n 3 "$T/proxy.log")"
		_i=$((_i + 1)); [ $_i -lt 100 ] || die "delay proxy did not start"
		sleep 0.05
	done
	PROXY_PORT=$(cat "$T/proxy.port")
}
RTT_S=$(awk "BEGIN { print 2 * $BENCH_DELAY_MS / 1000 }")
python3 "$BENCH/delay-proxy.py" --self-test --delay-ms="$BENCH_DELAY_MS" >"$T/proxy-selftest" 2>&1 ||
	die "the delay proxy's self-test failed: $(cat "$T/proxy-selftest")"
say "$(cat "$T/proxy-selftest")"
note "Proxy: $(cat "$T/proxy-selftest")"

# --- slapd commands (regenerated after each start: the port changes) ---------
PKS=$SLAPD_PKS_DN
AIA="CN=AIA,$PKS"
CAS="CN=Certification Authorities,$PKS"
NT="CN=NTAuthCertificates,$PKS"
# adpki list's own search, so that ldapsearch fetches the same entries.
LIST_FILTER='(|(objectClass=certificationAuthority)(objectClass=pKIEnrollmentService)(objectClass=cRLDistributionPoint)(objectClass=msPKI-PrivateKeyRecoveryAgent)(objectClass=container))'
LIST_ATTRS="cn dNSHostName cACertificate crossCertificatePair userCertificate certificateRevocationList deltaRevocationList"

# conn_* NAME: connection words for adpki and for the OpenLDAP tools.
#   ldapi: EXTERNAL over the ldapi socket (root);
#   tls:   simple bind as the rootdn inside StartTLS on ldap://127.0.0.1:PORT;
#   proxy: the same, through the delay proxy.
slapd_cmds() {
	_tcp=$SLAPD_TCP_URI
	[ -n "${PROXY_PORT:-}" ] && _prx=ldap://127.0.0.1:$PROXY_PORT || _prx=
	A_LDAPI="-H $SLAPD_URI -Y EXTERNAL --config-nc=$SLAPD_CONFIG_NC"
	A_TLS="-H $_tcp -Z -x --bind-dn=$SLAPD_ROOT_DN --password-file=$T/rootpw --config-nc=$SLAPD_CONFIG_NC"
	A_PRX="-H $_prx -Z -x --bind-dn=$SLAPD_ROOT_DN --password-file=$T/rootpw --config-nc=$SLAPD_CONFIG_NC"
	L_LDAPI="-Q -Y EXTERNAL -H $SLAPD_URI"
	L_TLS="-ZZ -x -D $SLAPD_ROOT_DN -y $T/rootpw -H $_tcp"
	L_PRX="-ZZ -x -D $SLAPD_ROOT_DN -y $T/rootpw -H $_prx"
}

# list_cmds SUFFIX ADPKI_CONN LDAP_CONN: list_SUFFIX (adpki list) and
# search_SUFFIX (ldapsearch of the same entries and attributes, paged 1000).
list_cmds() {
	# shellcheck disable=SC2086
	cmd "list_$1" "$ADPKI" list -v $2
	# shellcheck disable=SC2086
	cmd "search_$1" ldapsearch $3 -LLL -o ldif-wrap=no -E pr=1000/noprompt \
		-b "$PKS" -s sub "$LIST_FILTER" $LIST_ATTRS
}

# publish_cmds SUFFIX ADPKI_CONN LDAP_CONN ADMIN_CONN: pub64_, pub1_ (adpki
# publish of the bundle into AIA, window 64 and 1) and ldapadd_ (the same
# objects from the LDIF adpki's plan gives); after each run the objects are
# counted (must be NEW) and deleted with ADMIN_CONN (untimed).
publish_cmds() {
	# shellcheck disable=SC2086
	cmd "pub64_$1" "$ADPKI" publish -v --window=64 --as=subca $2 "$T/data/bundle.pem"
	# shellcheck disable=SC2086
	cmd "pub1_$1" "$ADPKI" publish -v --window=1 --as=subca $2 "$T/data/bundle.pem"
	# shellcheck disable=SC2086
	cmd "ldapadd_$1" ldapadd $3 -f "$T/data/publish.ldif"
	script "after_pub_$1" "n=\$(ldapsearch $4 -LLL -b $(q "$AIA") -s one '(cn=Bench New*)' 1.1 | grep -c '^dn:' || :)
[ \"\$n\" -eq $NEW ] || { echo \"\$n objects in AIA, want $NEW\"; exit 1; }
ldapdelete $4 -f $(q "$T/data/publish.dns")"
	for _p in pub64 pub1 ldapadd; do cp "$BIN/after_pub_$1" "$BIN/${_p}_$1.after"; done
}

# ------------------------------------------------------------------------------
slapd_start
slapd_cmds
n=$(slapd_root ldapsearch -LLL -b "$CAS" -s one 1.1 | grep -c '^dn:')
[ "$n" -eq "$BENCH_SMALL" ] || die "slapd holds $n CA objects, not $BENCH_SMALL"
SMALL=$(fmt_n "$BENCH_SMALL") BIG=$(fmt_n "$BENCH_BIG")

# The publish LDIF: adpki's own plan of the bundle (what ldapadd would be
# given by hand), and the DNs it creates.
# shellcheck disable=SC2086
"$ADPKI" publish -n --as=subca --ldif="$T/data/publish.ldif" $A_LDAPI "$T/data/bundle.pem" \
	>"$T/data/plan.out" 2>&1 || die "publish -n failed: $(tail -n 5 "$T/data/plan.out")"
dns_of "$NEW_TSV" "$AIA" >"$T/data/publish.dns"
n=$(grep -c '^changetype: add' "$T/data/publish.ldif")
[ "$n" -eq "$NEW" ] || die "the plan adds $n objects, not $NEW"

# --- list, BENCH_SMALL objects ---
say "slapd, $SMALL objects: list"
list_cmds ldapi "$A_LDAPI" "$L_LDAPI"
list_cmds tls "$A_TLS" "$L_TLS"
interleave -w "$BENCH_RUNS" list_ldapi search_ldapi
n=$(grep -c '^dn:' "$OUT/search_ldapi.out")
[ "$n" -ge "$BENCH_SMALL" ] || die "ldapsearch returned $n entries, want >= $BENCH_SMALL"
n=$(grep -c 'Bench A' "$OUT/list_ldapi.out")
[ "$n" -ge "$BENCH_SMALL" ] || die "adpki list shows $n 'Bench A' lines, want >= $BENCH_SMALL"
row "list, slapd ldapi EXTERNAL" "$SMALL" list_ldapi search_ldapi "<= 1.2x" "r <= 1.2"
interleave -w "$BENCH_RUNS" list_tls search_tls
row "list, slapd StartTLS simple bind" "$SMALL" list_tls search_tls "<= 1.2x" "r <= 1.2"
if [ "$BENCH_PIPE" = 1 ]; then
	say "slapd, $SMALL objects: the per-certificate openssl pipeline ($BENCH_RUNS_SLOW runs)"
	cmd pipe_raw ldapsearch $L_LDAPI -LLL -o ldif-wrap=no -E pr=1000/noprompt -b "$PKS" -s sub \
		"$LIST_FILTER" $LIST_ATTRS
	script pipe "$(q "$BIN/pipe_raw") | sh $(q "$BENCH/by-hand.sh")"
	cp "$BIN/list_ldapi" "$BIN/list_ldapi_p"
	interleave "$BENCH_RUNS_SLOW" pipe list_ldapi_p
	n=$(grep -ci '^sha1 Fingerprint=' "$OUT/pipe.out" || :)
	[ "$n" -ge "$BENCH_SMALL" ] || die "the openssl pipeline printed $n fingerprints"
	row "list vs ldapsearch + openssl x509 per cert" "$SMALL" list_ldapi_p pipe ">= 50x faster" "r <= 0.02"
fi

# --- publish into AIA ---
say "slapd: publish $NEW into AIA"
publish_cmds ldapi "$A_LDAPI" "$L_LDAPI" "$L_LDAPI"
interleave "$BENCH_RUNS" pub64_ldapi pub1_ldapi ldapadd_ldapi
row "publish into AIA, window 64, slapd ldapi" "$NEW" pub64_ldapi ldapadd_ldapi "< 1x ldapadd" "r < 1"
row "publish into AIA, window 1, slapd ldapi" "$NEW" pub1_ldapi ldapadd_ldapi "-" "-"
row "publish LDAP ops (S/W/R), window 64" "$NEW" pub64_ldapi - "W = $NEW, S <= 3" "w == $NEW && s <= 3"

# --- NTAuth ---
# nt_round VALUES: CN=NTAuthCertificates with VALUES values (the first of
# Bench B), then list it, add one value, remove it, and a dry run of the add.
nt_round() {
	_v=$1 _lbl=$(fmt_n "$1")
	slapd_root ldapdelete "$NT" >/dev/null 2>&1 || :
	head -n "$_v" "$B_TSV" | awk -F '\t' -v dn="$NT" '
		NR == 1 { printf "dn: %s\nobjectClass: certificationAuthority\ncn: NTAuthCertificates\n", dn
			  printf "authorityRevocationList:: AA==\ncertificateRevocationList:: AA==\n" }
		{ printf "cACertificate:: %s\n", $2 }' >"$T/data/nt.ldif"
	slapd_root ldapadd -f "$T/data/nt.ldif" >"$T/nt.log" 2>&1 ||
		die "cannot create NTAuth with $_v values: $(tail -n 3 "$T/nt.log")"
	printf 'dn: %s\nchangetype: modify\nadd: cACertificate\ncACertificate:: %s\n' "$NT" "$ONE_B64" >"$T/data/nt-add.ldif"
	printf 'dn: %s\nchangetype: modify\ndelete: cACertificate\ncACertificate:: %s\n' "$NT" "$ONE_B64" >"$T/data/nt-del.ldif"
	# shellcheck disable=SC2086
	cmd "ntlist_$_v" "$ADPKI" list -v --container=ntauth $A_LDAPI
	cmd "ntsearch_$_v" ldapsearch $L_LDAPI -LLL -o ldif-wrap=no -b "$NT" -s base '(objectClass=*)' cACertificate
	cmd "ntadd_$_v" "$ADPKI" publish -v --as=ntauth $A_LDAPI "$T/data/one.der"
	cmd "ntaddn_$_v" "$ADPKI" publish -n -v --as=ntauth $A_LDAPI "$T/data/one.der"
	cmd "ntmodadd_$_v" ldapmodify $L_LDAPI -f "$T/data/nt-add.ldif"
	script "ntdel_$_v" "rm -f $(q "$T/undo/nt.ldif")
exec $(q "$ADPKI") remove -v --from=ntauth --undo-file=$(q "$T/undo/nt.ldif") $A_LDAPI $(q "$T/data/one.der")"
	cmd "ntmoddel_$_v" ldapmodify $L_LDAPI -f "$T/data/nt-del.ldif"
	# The value must be there after an add and gone after a delete.
	_count="ldapsearch $L_LDAPI -LLL -o ldif-wrap=no -b $(q "$NT") -s base '(objectClass=*)' cACertificate | grep -c '^cACertificate::' || :"
	for _k in ntadd ntmodadd; do
		script "${_k}_$_v.after" "n=\$($_count); [ \"\$n\" -eq $((_v + 1)) ] || { echo \"\$n values\"; exit 1; }
ldapmodify $L_LDAPI -f $(q "$T/data/nt-del.ldif")"
	done
	for _k in ntdel ntmoddel; do
		script "${_k}_$_v.before" "ldapmodify $L_LDAPI -f $(q "$T/data/nt-add.ldif")"
		script "${_k}_$_v.after" "n=\$($_count); [ \"\$n\" -eq $_v ] || { echo \"\$n values\"; exit 1; }"
	done
	interleave -w "$BENCH_RUNS" "ntlist_$_v" "ntsearch_$_v" "ntaddn_$_v"
	interleave "$BENCH_RUNS" "ntadd_$_v" "ntmodadd_$_v" "ntdel_$_v" "ntmoddel_$_v"
	row "NTAuth list (--container=ntauth)" "$_lbl values" "ntlist_$_v" "ntsearch_$_v" "-" "-"
	row "NTAuth add 1 value: publish --as=ntauth" "$_lbl values" "ntadd_$_v" "ntmodadd_$_v" "1 modify" "w == 1"
	row "NTAuth add 1 value: dry run (read + plan)" "$_lbl values" "ntaddn_$_v" "ntmodadd_$_v" "-" "-"
	row "NTAuth remove 1 value: remove --from=ntauth" "$_lbl values" "ntdel_$_v" "ntmoddel_$_v" "1 modify" "w == 1"
	slapd_root ldapdelete "$NT" >/dev/null 2>&1 || die "cannot delete NTAuth"
}
say "slapd: NTAuthCertificates of $BENCH_NTAUTH and $BENCH_NTAUTH_LOW values"
nt_round "$BENCH_NTAUTH"
nt_round "$BENCH_NTAUTH_LOW"
# Growth with the number of values, beyond the read: the add minus its
# own dry run (read + plan), at both sizes, next to ldapmodify's time.
med() { stats "$1" | cut -d' ' -f1; }
note "NTAuth add of one value, write part (publish minus its dry run, medians):" \
	"$(awk "BEGIN { printf \"%.3f s at %s values, %.3f s at %s\", \
		$(med "ntadd_$BENCH_NTAUTH") - $(med "ntaddn_$BENCH_NTAUTH"), \"$(fmt_n "$BENCH_NTAUTH")\", \
		$(med "ntadd_$BENCH_NTAUTH_LOW") - $(med "ntaddn_$BENCH_NTAUTH_LOW"), $BENCH_NTAUTH_LOW }");" \
	"ldapmodify alone: $(med "ntmodadd_$BENCH_NTAUTH") s and $(med "ntmodadd_$BENCH_NTAUTH_LOW") s."

# --- through the delay proxy (StartTLS; the certificate names 127.0.0.1) ---
say "slapd through the ${BENCH_DELAY_MS} ms proxy: list $SMALL, publish $NEW"
proxy_start 127.0.0.1 "${SLAPD_TCP_URI#ldap://}"
slapd_cmds
list_cmds proxy "$A_PRX" "$L_PRX"
interleave -w "$BENCH_RUNS" list_proxy search_proxy
row "list through the proxy, slapd StartTLS" "$SMALL" list_proxy search_proxy "<= 1.2x" "r <= 1.2"
publish_cmds proxy "$A_PRX" "$L_PRX" "$L_LDAPI"
# The same publish without the proxy (StartTLS too), in the same loop: the
# difference is what the latency costs.
publish_cmds tls "$A_TLS" "$L_TLS" "$L_LDAPI"
interleave "$BENCH_RUNS_SLOW" pub64_proxy pub64_tls pub1_proxy ldapadd_proxy
RTT50="< 50 RTT ($(awk "BEGIN { print 50 * $RTT_S }") s)"
row "publish through the proxy, window 64, slapd" "$NEW" pub64_proxy ldapadd_proxy "$RTT50" "a < 50 * $RTT_S"
row_diff "  time the proxy adds (proxied - direct), window 64, slapd" "$NEW" pub64_proxy pub64_tls "$RTT50" "a < 50 * $RTT_S"
row "publish through the proxy, window 1, slapd" "$NEW" pub1_proxy ldapadd_proxy "-" "-"
proxy_stop

# --- BENCH_BIG objects: stop, load the rest (slapadd), start again ---
slapd_stop
say "slapd: loading $((BENCH_BIG - BENCH_SMALL)) more objects"
slapd_add_many "$B_COUNT" "CN=Certification Authorities" "Bench B" ||
	die "cannot load $B_COUNT more objects"
ca_ldif "$T/data/expired.tsv" "$CAS" >"$T/data/expired.ldif"
dns_of "$T/data/expired.tsv" "$CAS" >"$T/data/expired.dns"
"$SLAPD_SLAPADD" -q -f "$SLAPD_DIR/slapd.conf" -l "$T/data/expired.ldif" >"$T/slapadd.log" 2>&1 ||
	die "slapadd of the expired objects failed: $(tail -n 3 "$T/slapadd.log")"
slapd_start
slapd_cmds
n=$(slapd_root ldapsearch -LLL -b "$CAS" -s one 1.1 | grep -c '^dn:')
[ "$n" -eq "$BENCH_BIG" ] || die "slapd holds $n CA objects, not $BENCH_BIG"

say "slapd, $BIG objects: list"
list_cmds ldapi "$A_LDAPI" "$L_LDAPI"
list_cmds tls "$A_TLS" "$L_TLS"
for k in list_ldapi search_ldapi list_tls search_tls; do mv "$M/$k" "$M/${k}_small"; done
interleave -w "$BENCH_RUNS" list_ldapi search_ldapi
row "list, slapd ldapi EXTERNAL" "$BIG" list_ldapi search_ldapi "<= 1.2x; <= 64 MiB" "r <= 1.2 && m <= 64"
interleave -w "$BENCH_RUNS" list_tls search_tls
row "list, slapd StartTLS simple bind" "$BIG" list_tls search_tls "<= 1.2x; <= 64 MiB" "r <= 1.2 && m <= 64"
proxy_start 127.0.0.1 "${SLAPD_TCP_URI#ldap://}"
slapd_cmds
list_cmds proxy "$A_PRX" "$L_PRX"
mv "$M/list_proxy" "$M/list_proxy_small"; mv "$M/search_proxy" "$M/search_proxy_small"
interleave -w "$BENCH_RUNS" list_proxy search_proxy
row "list through the proxy, slapd StartTLS" "$BIG" list_proxy search_proxy "<= 1.2x" "r <= 1.2"
proxy_stop

# --- plan: a dry run of the bundle against BENCH_BIG ---
say "slapd: plan of $NEW against $BIG; prune of $BENCH_EXPIRED expired"
cmd plan "$ADPKI" publish -n -v $A_LDAPI "$T/data/bundle.pem"
cp "$BIN/list_ldapi" "$BIN/list_for_plan"
interleave -w "$BENCH_RUNS" plan list_for_plan
grep -q "$NEW objects created\|^$((2 * NEW)) objects created" "$OUT/plan.out" ||
	diag "warning: the plan's summary: $(tail -n 1 "$OUT/plan.out")"
row "plan: publish -n of a $NEW-cert bundle vs list" "$BIG" plan list_for_plan "<= 1.2x list; <= 64 MiB" "r <= 1.2 && m <= 64"

# --- prune: BENCH_EXPIRED expired among BENCH_BIG ---
script prune "rm -f $(q "$T/undo/prune.ldif")
exec $(q "$ADPKI") prune -v --expired --from=rootca --undo-file=$(q "$T/undo/prune.ldif") $A_LDAPI"
cmd prune_ref ldapdelete $L_LDAPI -f "$T/data/expired.dns"
_expired_count="ldapsearch $L_LDAPI -LLL -b $(q "$CAS") -s one '(cn=Bench Expired*)' 1.1 | grep -c '^dn:' || :"
for k in prune prune_ref; do
	script "$k.before" "n=\$($_expired_count)
[ \"\$n\" -eq $BENCH_EXPIRED ] || ldapadd $L_LDAPI -f $(q "$T/data/expired.ldif") >/dev/null"
	script "$k.after" "n=\$($_expired_count); [ \"\$n\" -eq 0 ] || { echo \"\$n expired objects left\"; exit 1; }
n=\$(ldapsearch $L_LDAPI -LLL -b $(q "$CAS") -s one 1.1 | grep -c '^dn:')
[ \"\$n\" -eq $((BENCH_BIG - BENCH_EXPIRED)) ] || { echo \"\$n objects left\"; exit 1; }"
done
interleave "$BENCH_RUNS_SLOW" prune prune_ref
row "prune --expired vs ldapdelete of them" "$(fmt_n "$BENCH_EXPIRED") of $BIG" prune prune_ref "<= 64 MiB" "m <= 64"
slapd_stop

# --- Samba AD DC: GSSAPI with sealing ---
if [ "$BENCH_SAMBA" = 1 ]; then
	. "$top_srcdir/tests/fixtures/samba.sh"
	SAMBA_IP=$BENCH_SAMBA_IP
	say "Samba AD DC on $SAMBA_IP: start"
	samba_start
	PKS=$SAMBA_PKS_DN AIA="CN=AIA,$PKS" CAS="CN=Certification Authorities,$PKS"
	S_ADPKI="-H $SAMBA_URI"
	S_LDAP="-Q -Y GSSAPI -H $SAMBA_URI"
	t0=$(now)
	ca_ldif "$(_slapd_certs "$BENCH_SMALL" "Bench A")" "$CAS" >"$T/data/samba-a.ldif"
	# shellcheck disable=SC2086
	ldapadd $S_LDAP -f "$T/data/samba-a.ldif" >"$T/samba-load.log" 2>&1 ||
		die "Samba: loading $BENCH_SMALL objects failed: $(tail -n 3 "$T/samba-load.log")"
	say "Samba: $BENCH_SMALL objects loaded by ldapadd in $(awk "BEGIN { printf \"%.1f\", $(now) - $t0 }") s"
	note "Samba: ldapadd of $SMALL CA objects (GSSAPI, sealed) took $(awk "BEGIN { printf \"%.1f\", $(now) - $t0 }") s."

	list_cmds samba "$S_ADPKI" "$S_LDAP"
	interleave -w "$BENCH_RUNS" list_samba search_samba
	n=$(grep -c 'Bench A' "$OUT/list_samba.out")
	[ "$n" -ge "$BENCH_SMALL" ] || die "adpki list on Samba shows $n 'Bench A' lines"
	row "list, Samba GSSAPI sealed" "$SMALL" list_samba search_samba "<= 1.2x" "r <= 1.2"

	say "Samba: publish $NEW into AIA"
	# The plan against Samba (its own LDIF; same objects).
	"$ADPKI" publish -n --as=subca --ldif="$T/data/publish.ldif" $S_ADPKI "$T/data/bundle.pem" \
		>"$T/data/plan-samba.out" 2>&1 || die "publish -n on Samba failed: $(tail -n 5 "$T/data/plan-samba.out")"
	dns_of "$NEW_TSV" "$AIA" >"$T/data/publish.dns"
	publish_cmds samba "$S_ADPKI" "$S_LDAP" "$S_LDAP"
	interleave "$BENCH_RUNS_SLOW" pub64_samba pub1_samba ldapadd_samba
	row "publish into AIA, window 64, Samba" "$NEW" pub64_samba ldapadd_samba "< 1x ldapadd" "r < 1"
	row "publish into AIA, window 1, Samba" "$NEW" pub1_samba ldapadd_samba "-" "-"

	# Through the proxy: the URI keeps the DC's name (Kerberos asks for
	# ldap/dc1.samdom.test; nss_wrapper maps the name to $SAMBA_IP, where
	# the proxy listens on another port).  The KDC is reached directly; the
	# service ticket is in the credential cache after the first bind.
	say "Samba through the ${BENCH_DELAY_MS} ms proxy"
	proxy_start "$SAMBA_IP" "$SAMBA_IP:389"
	S_PRX_ADPKI="-H ldap://$SAMBA_HOST:$PROXY_PORT"
	S_PRX_LDAP="-Q -Y GSSAPI -H ldap://$SAMBA_HOST:$PROXY_PORT"
	list_cmds samba_proxy "$S_PRX_ADPKI" "$S_PRX_LDAP"
	interleave -w "$BENCH_RUNS" list_samba_proxy search_samba_proxy
	row "list through the proxy, Samba GSSAPI sealed" "$SMALL" list_samba_proxy search_samba_proxy "<= 1.2x" "r <= 1.2"
	publish_cmds samba_proxy "$S_PRX_ADPKI" "$S_PRX_LDAP" "$S_LDAP"
	# Samba's own write time alone can exceed 50 round trips, and it grows
	# with every add/delete cycle (tombstones): the direct publish runs in
	# the same loop, and the difference is what the latency costs.
	cp "$BIN/pub64_samba" "$BIN/pub64_samba_direct"
	cp "$BIN/pub64_samba.after" "$BIN/pub64_samba_direct.after"
	interleave "$BENCH_RUNS_SLOW" pub64_samba_proxy pub64_samba_direct pub1_samba_proxy ldapadd_samba_proxy
	row "publish through the proxy, window 64, Samba" "$NEW" pub64_samba_proxy ldapadd_samba_proxy "$RTT50" "a < 50 * $RTT_S"
	row_diff "  time the proxy adds (proxied - direct), window 64, Samba" "$NEW" pub64_samba_proxy pub64_samba_direct "$RTT50" "a < 50 * $RTT_S"
	row "publish through the proxy, window 1, Samba" "$NEW" pub1_samba_proxy ldapadd_samba_proxy "-" "-"
	proxy_stop

	if [ "$BENCH_SAMBA_BIG" = 1 ]; then
		t0=$(now)
		{ ca_ldif "$B_TSV" "$CAS"; ca_ldif "$T/data/expired.tsv" "$CAS"; } >"$T/data/samba-b.ldif"
		# shellcheck disable=SC2086
		ldapadd $S_LDAP -f "$T/data/samba-b.ldif" >"$T/samba-load.log" 2>&1 ||
			die "Samba: loading to $BENCH_BIG objects failed: $(tail -n 3 "$T/samba-load.log")"
		say "Samba: $((BENCH_BIG - BENCH_SMALL)) more objects in $(awk "BEGIN { printf \"%.1f\", $(now) - $t0 }") s"
		note "Samba: ldapadd of $(fmt_n $((BENCH_BIG - BENCH_SMALL))) more took $(awk "BEGIN { printf \"%.1f\", $(now) - $t0 }") s."
		mv "$M/list_samba" "$M/list_samba_small"; mv "$M/search_samba" "$M/search_samba_small"
		interleave -w "$BENCH_RUNS" list_samba search_samba
		row "list, Samba GSSAPI sealed" "$BIG" list_samba search_samba "<= 1.2x; <= 64 MiB" "r <= 1.2 && m <= 64"
	fi
	samba_stop
fi

# --- the table ---
{
	echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n): $(uname -srm)"
	echo
	echo "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPU(s),"\
		"$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM;"\
		"$("$ADPKI" --version 2>&1 | head -n 1); $(slapd -VV 2>&1 | sed -n 's/.*\(OpenLDAP: slapd [0-9.]*\).*/\1/p' | head -n 1);"\
		"Samba $(samba -V 2>/dev/null | sed 's/Version //'); git $(cd "$top_srcdir" && git describe --always --dirty 2>/dev/null || echo '?')"
	echo
	echo "Runs: $BENCH_RUNS per figure ($BENCH_RUNS_SLOW for the slow ones), interleaved with the baseline;"\
		"load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); total $(( $(date +%s) - T_START )) s."
	echo
	echo "| what | N | adpki s | baseline s | ratio | spread adpki / baseline (min-max s) | adpki peak MiB | S/W/R | target | verdict |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	verdict >"$T/verdicts"
	paste -d '\t' "$ROWS" "$T/verdicts" | awk -F '\t' '{
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $11 }'
	echo
	echo "Baselines: list = ldapsearch of the same entries and attributes (paged, 1000), same connection"\
		"kind; publish = ldapadd of the LDIF of adpki's own plan; NTAuth = one ldapmodify; plan = adpki list;"\
		"prune = ldapdelete of the expired objects.  S/W/R = adpki --verbose's LDAP searches / writes /"\
		"round trips after the bind (last run)."
	sed 's/^/- /' "$T/notes"
} >"$T/table.md"
echo
cat "$T/table.md"
mkdir -p "$(dirname "$BENCH_RESULTS")" 2>/dev/null
cp "$T/table.md" "$BENCH_RESULTS" 2>/dev/null && echo "# table also in $BENCH_RESULTS" >&2
