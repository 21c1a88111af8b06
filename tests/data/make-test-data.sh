#!/bin/sh
# make-test-data.sh - regenerates the certificate test inputs under
# tests/data/{cert,lint,bad} used by tests/unit/test-cert.c and test-lint.c.
#
# Usage: tests/data/make-test-data.sh   (needs certtool, openssl, python3;
# run samples/make-samples.sh first: some inputs are built from samples/).
# Keys made here are throw-away (temporary directory); only the sample CA
# keys in tests/data/keys/ are kept.  ECDSA signatures and fresh keys make
# the output differ on every run, so the tests never hard-code thumbprints
# of these files, only of samples/.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
samples="$top/samples"
keys="$here/keys"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
mkdir -p cert lint bad

ct() {   # certtool, quiet unless it fails
	certtool "$@" 2>"$tmp/certtool.log" || { cat "$tmp/certtool.log" >&2; exit 1; }
}
rsa() { ct --generate-privkey --key-type rsa --bits "$2" --no-text --outfile "$tmp/$1.key"; }
tmpl() {  # tmpl NAME CN EXTRA...: a CA template valid 2026-01-01 .. 2046-01-01
	name=$1 cn=$2; shift 2
	{
		[ -n "$cn" ] && echo "cn = \"$cn\""
		echo "serial = 77"
		echo 'activation_date = "2026-01-01 00:00:00 UTC"'
		echo 'expiration_date = "2046-01-01 00:00:00 UTC"'
		for line in "$@"; do echo "$line"; done
	} >"$tmp/$name.tmpl"
}
selfsign() {  # selfsign NAME OUT.cer [certtool options]: self-signed, DER
	name=$1 out=$2; shift 2
	ct --generate-self-signed --no-text --load-privkey "$tmp/$name.key" \
		--template "$tmp/$name.tmpl" --outfile "$tmp/$name.pem" "$@"
	openssl x509 -in "$tmp/$name.pem" -outform DER -out "$out"
}

# --- lint: one certificate per warning -------------------------------
rsa rsa4096 4096
tmpl rsa4096 "adpki Lint RSA4096 SHA256 CA" ca cert_signing_key
selfsign rsa4096 lint/rsa4096-sha256-ca.cer --hash SHA256

tmpl rsa4096sha1 "adpki Lint RSA4096 SHA1 CA" ca cert_signing_key
cp "$tmp/rsa4096.key" "$tmp/rsa4096sha1.key"
selfsign rsa4096sha1 lint/rsa4096-sha1-ca.cer --hash SHA1

rsa pss 2048
tmpl pss "adpki Lint RSA-PSS CA" ca cert_signing_key
selfsign pss lint/rsa-pss-ca.cer --hash SHA256 --sign-params RSA-PSS

ct --generate-privkey --key-type ecdsa --curve secp256r1 --no-text --outfile "$tmp/ecdsa.key"
tmpl ecdsa "adpki Lint ECDSA CA" ca cert_signing_key
selfsign ecdsa lint/ecdsa-p256-ca.cer --hash SHA256

rsa sha1 2048
tmpl sha1 "adpki Lint SHA1 CA" ca cert_signing_key
selfsign sha1 lint/rsa2048-sha1-ca.cer --hash SHA1

# Over AD's 32,768-byte limit: a CA with a very long subjectAltName (openssl,
# because certtool caps the number of template entries).
san=$(python3 -c 'print(",".join("DNS:host-%d.a-rather-long-name-to-make-this-large.adpki.example" % i for i in range(600)))')
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/large.key" -sha256 -days 7300 \
	-subj "/CN=adpki Lint Too Large CA" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "subjectAltName=$san" -outform DER -out lint/too-large-ca.cer 2>/dev/null

# --- cert: facts and edge cases that must load -------------------------
rsa nocn 2048
tmpl nocn "" 'organization = "adpki No CN"' 'unit = "Lab"' ca cert_signing_key
selfsign nocn cert/no-cn-ca.cer --hash SHA256

tmpl empty "" ca cert_signing_key
cp "$tmp/nocn.key" "$tmp/empty.key"
selfsign empty cert/empty-subject-ca.cer --hash SHA256

# CNs that need care: non-ASCII (UTF8String) and one starting with "#".
tmpl utf8 "adpki Caf$(printf '\303\251') CA" ca cert_signing_key
cp "$tmp/nocn.key" "$tmp/utf8.key"
selfsign utf8 cert/utf8-cn-ca.cer --hash SHA256
tmpl hash "#adpki Hash CA" ca cert_signing_key
cp "$tmp/nocn.key" "$tmp/hash.key"
selfsign hash cert/hash-cn-ca.cer --hash SHA256

tmpl comma "adpki, Comma CA" ca cert_signing_key
cp "$tmp/nocn.key" "$tmp/comma.key"
selfsign comma cert/comma-cn-ca.cer --hash SHA256
# BMPString CN (openssl's "default" string mask picks it for non-ASCII).
cat >"$tmp/bmp.cnf" <<'T'
[req]
distinguished_name = dn
string_mask = default
utf8 = yes
prompt = no
[dn]
CN = adpki BMP \316\251mega CA
T
printf "$(cat "$tmp/bmp.cnf")\n" >"$tmp/bmp2.cnf"
openssl req -x509 -config "$tmp/bmp2.cnf" -key "$tmp/nocn.key" -sha256 -days 7300 \
	-addext "basicConstraints=critical,CA:TRUE" -outform DER -out cert/bmp-cn-ca.cer

# Same name as its issuer but signed by another key: not self-signed.
rsa twin1 2048
rsa twin2 2048
tmpl twin1 "adpki Twin CA" ca cert_signing_key
selfsign twin1 "$tmp/twin1.cer" --hash SHA256
tmpl twin2 "adpki Twin CA" ca cert_signing_key
ct --generate-certificate --no-text --hash SHA256 --load-privkey "$tmp/twin2.key" \
	--load-ca-certificate "$tmp/twin1.pem" --load-ca-privkey "$tmp/twin1.key" \
	--template "$tmp/twin2.tmpl" --outfile "$tmp/twin2.pem"
openssl x509 -in "$tmp/twin2.pem" -outform DER -out cert/same-name-other-key.cer

# The sample root with one signature bit flipped: issuer == subject, but
# the signature no longer verifies.
python3 - "$samples/sample-root-ca.cer" cert/bad-signature.cer <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[-10] ^= 0x01
open(sys.argv[2], 'wb').write(bytes(d))
PY

# PEM variants: other labels, comments around blocks, OpenSSL trusted form.
sed 's/CERTIFICATE-----/X509 CERTIFICATE-----/' "$samples/digicert-global-root-g2.crt" >cert/x509-label.pem
{
	echo "# DigiCert Global Root G2, with explanatory text as in curl's cacert.pem"
	echo "DigiCert Global Root G2"
	echo "======================="
	cat "$samples/digicert-global-root-g2.crt"
	echo "trailing remark"
} >cert/comments.pem
{ echo "0 is where this comment starts (a PEM file, not DER)"; cat "$samples/digicert-global-root-g2.crt"; } >cert/zero-comment.pem
openssl x509 -in "$samples/sample-root-ca.cer" -inform DER -trustout -addtrust serverAuth \
	-out cert/trusted.pem

# --- bad: every one must be refused -----------------------------------
: >bad/empty.cer
printf '\r\n  \n' >bad/whitespace.pem
head -c 500 "$samples/sample-root-ca.cer" >bad/truncated.cer
{ cat "$samples/sample-root-ca.cer"; printf 'GARBAGE-1234'; } >bad/trailing-garbage.cer
python3 - <<'PY'
import random
r = random.Random(20261122)
b = bytes(r.randrange(256) for _ in range(1024))
if b[0] == 0x30:
    b = b'\x31' + b[1:]
open('bad/random.bin', 'wb').write(b.replace(b'-----BEGIN ', b'xxxxxxBEGIN '))
PY
# Outer length field claims 4 GiB - 1.
printf '\060\204\377\377\377\377\002\001\001' >bad/absurd-length.cer
sed '3s/^\(....\)/\1!*#~/' "$samples/digicert-global-root-g2.crt" >bad/bad-base64.pem
sed 's/CERTIFICATE-----/CERTIFICATE PLEASE-----/' "$samples/digicert-global-root-g2.crt" >bad/wrong-label.pem
sed '$s/END CERTIFICATE/END X509 CRL/' "$samples/digicert-global-root-g2.crt" >bad/mismatched-end.pem
sed '$d' "$samples/digicert-global-root-g2.crt" >bad/missing-end.pem
ct --generate-privkey --key-type rsa --bits 2048 --no-text --outfile "$tmp/throwaway.key"
openssl pkey -in "$tmp/throwaway.key" -out bad/private-key.pem           # PKCS#8 "PRIVATE KEY"
openssl pkey -in "$tmp/throwaway.key" -outform DER -out bad/private-key.der
openssl rsa -in "$tmp/throwaway.key" -traditional -out bad/rsa-private-key.pem 2>/dev/null
cat "$samples/sample-chain.pem" bad/private-key.pem >bad/cert-and-key.pem
{ cat "$samples/digicert-global-root-g2.crt"; cat "$samples/sample-root-ca.cer"; } >bad/binary-after-pem.pem
openssl crl2pkcs7 -nocrl -outform DER -out bad/no-certs.p7b
openssl crl2pkcs7 -nocrl -outform PEM -out bad/no-certs-pem.p7b
cat >"$tmp/crl.tmpl" <<'T'
crl_number = 1
crl_this_update_date = "2026-02-01 00:00:00 UTC"
crl_next_update_date = "2026-03-01 00:00:00 UTC"
T
ct --generate-crl --no-text --hash SHA256 --load-ca-certificate "$samples/sample-chain.pem" \
	--load-ca-privkey "$keys/sample-root.key" --template "$tmp/crl.tmpl" --outfile "$tmp/crl.pem"
openssl crl -in "$tmp/crl.pem" -outform DER -out bad/crl.crl
cp "$tmp/crl.pem" bad/crl.pem
openssl req -new -key bad/private-key.pem -subj "/CN=adpki request" -out bad/request.pem
openssl req -in bad/request.pem -outform DER -out bad/request.der
openssl pkcs12 -export -passout pass: -nocerts -inkey bad/private-key.pem -out bad/bundle.p12 2>/dev/null
iconv -f ASCII -t UTF-16 "$samples/digicert-global-root-g2.crt" >bad/utf16.cer
# A CN with an embedded NUL ("adpki\0Evil CA"), once as PrintableString and
# once as UTF8String (the "\xc3\xa9" makes certtool choose UTF8String):
# neither may load as "adpki".
cp "$tmp/nocn.key" "$tmp/nul.key"
cp "$tmp/nocn.key" "$tmp/nulu.key"
tmpl nul "adpkiXEvil CA" ca cert_signing_key
selfsign nul "$tmp/nul.cer" --hash SHA256
tmpl nulu "adpkiXEvil CA $(printf '\303\251')" ca cert_signing_key
selfsign nulu "$tmp/nulu.cer" --hash SHA256
python3 - "$tmp/nul.cer" bad/cn-nul.cer "$tmp/nulu.cer" bad/cn-nul-utf8.cer <<'PY'
import sys
for src, dst in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    d = open(src, 'rb').read()
    assert d.count(b'adpkiXEvil CA') == 2  # issuer and subject
    open(dst, 'wb').write(d.replace(b'adpkiXEvil CA', b'adpki\0Evil CA'))
PY
echo "test data regenerated in $here"
