#!/bin/sh
# make-samples.sh - regenerates adpki's sample certificates (samples/).
#
# Usage: samples/make-samples.sh   (from the source tree root or anywhere)
# Needs: certtool (gnutls-bin), openssl, ca-certificates.
#
# The keys of the sample CAs live in tests/data/keys/ (test-only keys, never
# trust them).  When those keys exist they are reused, and because every
# template below fixes serials and dates and RSA PKCS#1 v1.5 signatures are
# deterministic, a rerun reproduces the committed files byte for byte.
# Delete tests/data/keys/*.key to start over with fresh keys (then the
# SHA-1 values hard-coded in tests/unit/test-cert.c must be updated).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
keys="$top/tests/data/keys"
mozilla=/usr/share/ca-certificates/mozilla
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$keys"
cd "$here"

ct() {   # certtool, quiet unless it fails
	certtool "$@" 2>"$tmp/certtool.log" || { cat "$tmp/certtool.log" >&2; exit 1; }
}

key() {  # key NAME: reuse or create an RSA 2048 key in tests/data/keys
	if [ ! -s "$keys/$1.key" ]; then
		ct --generate-privkey --key-type rsa --bits 2048 --no-text \
			--outfile "$keys/$1.key"
	fi
}

# Public roots from Debian's ca-certificates, as shipped (PEM) and as DER.
cp "$mozilla/DigiCert_Global_Root_CA.crt" digicert-global-root-ca.crt
cp "$mozilla/DigiCert_Global_Root_G2.crt" digicert-global-root-g2.crt
openssl x509 -in digicert-global-root-ca.crt -outform DER -out digicert-global-root-ca.cer

# Two-tier sample PKI: root (20 years), issuing CA, web server leaf.
key sample-root
key sample-issuing
key sample-web
key sample-expired

cat >"$tmp/root.tmpl" <<'T'
cn = "adpki Sample Root CA"
organization = "adpki samples"
serial = 1001
activation_date = "2026-01-01 00:00:00 UTC"
expiration_date = "2046-01-01 00:00:00 UTC"
ca
cert_signing_key
crl_signing_key
T
ct --generate-self-signed --hash SHA256 --no-text \
	--load-privkey "$keys/sample-root.key" --template "$tmp/root.tmpl" \
	--outfile "$tmp/root.pem"

cat >"$tmp/issuing.tmpl" <<'T'
cn = "adpki Sample Issuing CA"
organization = "adpki samples"
serial = 2001
activation_date = "2026-01-01 00:00:00 UTC"
expiration_date = "2036-01-01 00:00:00 UTC"
ca
path_len = 0
cert_signing_key
crl_signing_key
T
ct --generate-certificate --hash SHA256 --no-text \
	--load-privkey "$keys/sample-issuing.key" \
	--load-ca-certificate "$tmp/root.pem" --load-ca-privkey "$keys/sample-root.key" \
	--template "$tmp/issuing.tmpl" --outfile "$tmp/issuing.pem"

cat >"$tmp/web.tmpl" <<'T'
cn = "adpki Sample Web Server"
organization = "adpki samples"
dns_name = "www.adpki.example"
serial = 3001
activation_date = "2026-01-01 00:00:00 UTC"
expiration_date = "2036-01-01 00:00:00 UTC"
tls_www_server
signing_key
encryption_key
T
ct --generate-certificate --hash SHA256 --no-text \
	--load-privkey "$keys/sample-web.key" \
	--load-ca-certificate "$tmp/issuing.pem" --load-ca-privkey "$keys/sample-issuing.key" \
	--template "$tmp/web.tmpl" --outfile "$tmp/web.pem"

cat >"$tmp/expired.tmpl" <<'T'
cn = "adpki Sample Expired CA"
organization = "adpki samples"
serial = 4001
activation_date = "2010-01-01 00:00:00 UTC"
expiration_date = "2020-01-01 00:00:00 UTC"
ca
cert_signing_key
crl_signing_key
T
ct --generate-self-signed --hash SHA256 --no-text \
	--load-privkey "$keys/sample-expired.key" --template "$tmp/expired.tmpl" \
	--outfile "$tmp/expired.pem"

der() { openssl x509 -in "$1" -outform DER -out "$2"; }
crlf() { sed 's/$/\r/' "$1" >"$2"; }   # Windows "Base-64 encoded X.509 (.CER)"

der "$tmp/root.pem" sample-root-ca.cer
crlf "$tmp/root.pem" sample-root-ca-base64.cer
der "$tmp/issuing.pem" sample-issuing-ca.cer
crlf "$tmp/issuing.pem" sample-issuing-ca-base64.cer
der "$tmp/web.pem" sample-web-server.cer
der "$tmp/expired.pem" sample-expired-ca.cer

# Chain exports: PKCS#7 (certificates only) of root + issuing CA, DER and PEM,
# and a plain PEM bundle of both.
cat "$tmp/root.pem" "$tmp/issuing.pem" >sample-chain.pem
openssl crl2pkcs7 -nocrl -certfile sample-chain.pem -outform DER -out sample-chain.p7b
openssl crl2pkcs7 -nocrl -certfile sample-chain.pem -outform PEM -out sample-chain-pem.p7b

echo "samples regenerated in $here"
