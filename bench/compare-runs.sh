#!/bin/sh
# bench/compare-runs.sh TABLE...: the noise between whole runs of
# bench/run.sh.  Reads the tables two or more runs wrote (bench/last-run.md,
# or BENCH_RESULTS=...) and prints, per row (what, N), the adpki and
# baseline medians of every run and how far apart they are:
# (largest - smallest) / smallest, in percent.
[ $# -ge 2 ] || { echo "usage: $0 TABLE TABLE..." >&2; exit 2; }
awk -F ' *[|] *' -v runs=$# '
	FNR == 1 { f++ }
	/^[|] / && $2 != "what" && $2 !~ /^-+$/ {
		k = $2 " | " $3
		if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		a[k, f] = $4; b[k, f] = $5
	}
	function spread(arr, k,    i, lo, hi, v, c) {
		lo = ""; hi = ""; c = 0
		for (i = 1; i <= runs; i++) {
			v = arr[k, i]
			if (v == "" || v == "-") continue
			c++
			if (lo == "" || v + 0 < lo) lo = v + 0
			if (hi == "" || v + 0 > hi) hi = v + 0
		}
		return (c < 2 || lo <= 0) ? "-" : sprintf("%.0f%%", 100 * (hi - lo) / lo)
	}
	function list(arr, k,    i, s) {
		s = ""
		for (i = 1; i <= runs; i++) s = s (i > 1 ? " / " : "") (arr[k, i] == "" ? "?" : arr[k, i])
		return s
	}
	END {
		print "| what | N | adpki medians (run 1 / 2 ...) | apart | baseline medians | apart |"
		print "|---|---|---|---|---|---|"
		for (i = 1; i <= n; i++) {
			k = order[i]
			printf "| %s | %s | %s | %s | %s |\n", k, list(a, k), spread(a, k), list(b, k), spread(b, k)
		}
	}' "$@"
