#!/bin/sh
# bench/by-hand.sh - the by-hand way to see what Public Key Services holds,
# the baseline of the list figure: LDIF from ldapsearch (-o ldif-wrap=no) on
# standard input, then for every certificate value one base64 and one
# `openssl x509` process printing subject, expiry and SHA-1, as an admin
# would do without adpki.
while IFS= read -r line; do
	case $line in
	'dn: '*|'dn:: '*) printf '%s\n' "$line" ;;
	'cACertificate:: '*)
		printf '%s' "${line#cACertificate:: }" | base64 -d |
			openssl x509 -inform DER -noout -subject -enddate -fingerprint -sha1 ||
			exit 1 ;;
	esac
done
