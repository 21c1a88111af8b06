#!/bin/sh
# make-hostile-data.sh - regenerates the hostile and broken inputs used by
# tests/server-hostile.test:
#   hostile/    VALID self-signed CA certificates whose subjects are
#               attacker-controlled text (RFC 4514 specials, newlines followed
#               by "dn:", terminal escapes, bidi overrides, ...): they must be
#               published safely, never refused.
#   bad/        more certificate files that must be refused (added to the ones
#               make-test-data.sh writes; this script writes only the files
#               listed below and never touches the others).
#   bad-ldif/   LDIF plans `adpki apply` must refuse before sending anything.
#               They name the test forest (DC=samdom,DC=test) of
#               tests/fixtures/samba.sh.
#
# Usage: tests/data/make-hostile-data.sh   (needs python3 with the
# "cryptography" module, openssl).  Certificates are signed with the test-only
# key tests/data/keys/sample-root.key, with fixed serials and dates, so the
# output is the same on every run.
# Not committed, made at test time instead: files of many megabytes, FIFOs,
# directories, unreadable files (see tests/server-hostile.test).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
mkdir -p hostile bad bad-ldif

python3 - "$here/keys/sample-root.key" <<'PY'
import sys, datetime, base64
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None)
NB = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
NA = datetime.datetime(2046, 1, 1, tzinfo=datetime.timezone.utc)

def attr(oid, value):
    # _validate=False: X.520's 64-character bound is not ours to enforce here.
    return x509.NameAttribute(oid, value, _validate=False)

def name(*rdns):
    """rdns: lists of (oid, value); each list is one (possibly multi-valued) RDN."""
    return x509.Name([x509.RelativeDistinguishedName([attr(o, v) for o, v in r]) for r in rdns])

def ca(subject, serial):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
         .public_key(key.public_key()).serial_number(serial)
         .not_valid_before(NB).not_valid_after(NA)
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                        critical=True))
    return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

def resign(der, old, new):
    """Replaces old by new (same length) in the subject and issuer, then signs
    the changed TBS again so the certificate stays a valid self-signed CA."""
    assert len(old) == len(new)
    c = x509.load_der_x509_certificate(der)
    tbs, sig = c.tbs_certificate_bytes, c.signature
    assert tbs.count(old) == 2, (old, tbs.count(old))
    tbs2 = tbs.replace(old, new)
    sig2 = key.sign(tbs2, padding.PKCS1v15(), hashes.SHA256())
    assert len(sig2) == len(sig)
    return der.replace(tbs, tbs2).replace(sig, sig2)

CN, O, OU = NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME
hostile = [
    ('h01-comma-ntauth', [[(CN, 'Evil,CN=NTAuthCertificates')]]),
    ('h02-backslash', [[(CN, 'adpki Back\\slash CA')]]),
    ('h03-plus', [[(CN, 'adpki A+B CA')]]),
    ('h04-quotes', [[(CN, 'adpki "Quoted" CA')]]),
    ('h05-hash-hex', [[(CN, '#04024869')]]),
    ('h06-equals-angles', [[(CN, 'adpki=CA;x<y>z')]]),
    ('h07-spaces', [[(CN, '  adpki Spaces CA  ')]]),
    ('h08-newline-dn', [[(CN, 'adpki NL CA\ndn: CN=Evil,CN=Users,DC=samdom,DC=test')]]),
    ('h09-crlf-changetype', [[(CN, 'adpki CR CA\r\nchangetype: delete')]]),
    ('h10-terminal-escape', [[(CN, 'adpki \x1b[31mRed\x1b[0m CA')]]),
    ('h11-bidi', [[(CN, 'adpki \u202eAC liveE')]]),
    ('h12-emoji', [[(CN, 'adpki \U0001F600 CA')]]),
    ('h13-ntauth-name', [[(CN, 'NTAuthCertificates')]]),
    ('h14-multivalued-rdn', [[(CN, 'adpki Multi CA'), (O, 'Evil+CN=NTAuthCertificates')]]),
    ('h15-org-newline-json', [[(O, 'Evil\ndn: CN=x\n"}],"x":["')], [(OU, '\t<b>\\,;')],
                              [(CN, 'adpki Org NL CA')]]),
    ('h16-two-cns', [[(CN, 'adpki Outer CN CA')], [(CN, 'NTAuthCertificates')]]),
    ('h17-all-commas', [[(CN, ',' * 64)]]),
]
serial = 1000
for fname, rdns in hostile:
    serial += 1
    open('hostile/%s.cer' % fname, 'wb').write(ca(name(*rdns), serial))

# Invalid UTF-8 in the organization (valid certificate otherwise): adpki
# must load it and keep its output valid UTF-8.
der = ca(name([(O, 'adpki BADUTF8 Org')], [(CN, 'adpki Bad UTF-8 Org CA')]), 1100)
open('hostile/h18-org-invalid-utf8.cer', 'wb').write(resign(der, b'BADUTF8', b'B\xff\xfe\xc0\xafT8'))

# --- bad: certificates adpki must refuse --------------------------------
# Invalid UTF-8 in the CN itself: the CN names the object; never repaired.
der = ca(name([(CN, 'adpki XXXX CA')]), 2001)
open('bad/cn-invalid-utf8.cer', 'wb').write(resign(der, b'XXXX', b'\xff\xfeok'))
# An overlong encoding of "/" (C0 AF): the classic path-traversal trick.
open('bad/cn-overlong-utf8.cer', 'wb').write(resign(der, b'XXXX', b'a\xc0\xafb'))
# A UTF-16 surrogate encoded in UTF-8 (ED A0 80).
open('bad/cn-surrogate-utf8.cer', 'wb').write(resign(der, b'XXXX', b'x\xed\xa0\x80'))

root = open('../../samples/sample-root-ca.cer', 'rb').read()
# The certificate's inner TBSCertificate length claims 2 GiB.
assert root[0:2] == b'\x30\x82' and root[4:6] == b'\x30\x82'
outer = int.from_bytes(root[2:4], 'big') + 2   # the inner header grows by 2
open('bad/absurd-inner-length.cer', 'wb').write(
    b'\x30\x82' + outer.to_bytes(2, 'big') + b'\x30\x84\x7f\xff\xff\xff' + root[8:])
# BER indefinite length on the outer SEQUENCE (not DER).
open('bad/indefinite-length.cer', 'wb').write(b'\x30\x80' + root[4:] + b'\x00\x00')
# Non-minimal length encoding (0x83 00 xx xx): valid BER, invalid DER.
open('bad/non-minimal-length.cer', 'wb').write(b'\x30\x83\x00' + root[2:])
# Garbage before the DER.
open('bad/leading-garbage.cer', 'wb').write(b'JUNK' + root)
# Two DER certificates back to back in one .cer.
open('bad/two-der.cer', 'wb').write(root + root)
# A PEM block with nothing in it, and one with a NUL byte inside the base64.
open('bad/empty-pem-block.pem', 'w').write('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n')
b64 = base64.encodebytes(root).decode()
open('bad/nul-in-pem.pem', 'wb').write(
    b'-----BEGIN CERTIFICATE-----\n' + b64[:64].encode() + b'\0' + b64[64:].encode()
    + b'-----END CERTIFICATE-----\n')
# Base64 of the certificate, cut in the middle (a truncated PEM download).
open('bad/truncated-pem.pem', 'w').write(
    '-----BEGIN CERTIFICATE-----\n' + b64[:len(b64) // 2] + '-----END CERTIFICATE-----\n')
# An encrypted PEM private key (Proc-Type header).
open('bad/encrypted-key.pem', 'w').write(
    '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n'
    'DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n'
    + b64[:128] + '-----END RSA PRIVATE KEY-----\n')
# A plain text file, and a gzip-compressed certificate.
open('bad/text.txt', 'w').write('This is not a certificate.\ndn: CN=Evil\n')
import gzip
open('bad/gzip.cer.gz', 'wb').write(gzip.compress(root, mtime=0))
# PKCS#7 cut in half.
p7 = open('../../samples/sample-chain.p7b', 'rb').read()
open('bad/truncated.p7b', 'wb').write(p7[:len(p7) // 2])
PY

# --- bad-ldif: plans apply must refuse -------------------------------------
PKS='CN=Public Key Services,CN=Services,CN=Configuration,DC=samdom,DC=test'
ROOT_B64=$(base64 -w0 ../../samples/sample-root-ca.cer)
# cACertificate line of the sample root, folded at 76 as ldapmodify writes.
VALUE=$(printf 'cACertificate:: %s' "$ROOT_B64" | fold -w 76 | sed '2,$s/^/ /')

l() { cat >"bad-ldif/$1.ldif"; }

l replace <<EOF
dn: CN=NTAuthCertificates,$PKS
changetype: modify
replace: cACertificate
cACertificate:: AA==
-

EOF
l replace-in-add-record <<EOF
dn: CN=adpki Sample Root CA,CN=AIA,$PKS
changetype: modify
add: cACertificate
$VALUE
-
replace: authorityRevocationList
authorityRevocationList:: AA==
-

EOF
l outside-users <<EOF
dn: CN=Administrator,CN=Users,DC=samdom,DC=test
changetype: modify
add: cACertificate
$VALUE
-

EOF
l outside-templates <<EOF
dn: CN=User,CN=Certificate Templates,$PKS
changetype: delete

EOF
l outside-escaped-comma <<EOF
dn: CN=x\\,CN=AIA\\,$(printf '%s' "$PKS" | sed 's/,/\\,/g'),CN=Users,DC=samdom,DC=test
changetype: delete

EOF
l outside-suffix <<EOF
dn: CN=x,CN=AIA,$PKS,DC=evil
changetype: delete

EOF
l delete-container <<EOF
dn: CN=AIA,$PKS
changetype: delete

EOF
l delete-ntauth <<EOF
dn: CN=NTAuthCertificates,$PKS
changetype: delete

EOF
l delete-pks <<EOF
dn: $PKS
changetype: delete

EOF
l broken-base64 <<EOF
dn: CN=NTAuthCertificates,$PKS
changetype: modify
add: cACertificate
cACertificate:: MIIB*not*base64!!
-

EOF
l broken-base64-dn <<EOF
dn:: Q049eCxDTj1BSUEs!!!
changetype: delete

EOF
# A continuation line where no line is being continued (after a blank line).
l bad-folding <<EOF
dn: CN=NTAuthCertificates,$PKS
changetype: modify
add: cACertificate
$VALUE
-

 cACertificate:: AA==
EOF
l no-changetype <<EOF
dn: CN=adpki Sample Root CA,CN=AIA,$PKS
objectClass: top
objectClass: certificationAuthority
cn: adpki Sample Root CA
$VALUE

EOF
l modrdn <<EOF
dn: CN=adpki Sample Root CA,CN=AIA,$PKS
changetype: modrdn
newrdn: CN=NTAuthCertificates
deleteoldrdn: 1

EOF
l other-attribute <<EOF
dn: CN=NTAuthCertificates,$PKS
changetype: modify
add: description
description: owned
-

EOF
l attribute-option <<EOF
dn: CN=NTAuthCertificates,$PKS
changetype: modify
add: cACertificate;binary
$(printf '%s\n' "$VALUE" | sed '1s/^cACertificate::/cACertificate;binary::/')
-

EOF
l url-value <<EOF
dn: CN=NTAuthCertificates,$PKS
changetype: modify
add: cACertificate
cACertificate:< file:///etc/shadow
-

EOF
l control <<EOF
dn: CN=adpki Sample Root CA,CN=AIA,$PKS
control: 1.2.840.113556.1.4.805 true
changetype: delete

EOF
l wrong-objectclass <<EOF
dn: CN=adpki Sample Root CA,CN=AIA,$PKS
changetype: add
objectClass: top
objectClass: user
cn: adpki Sample Root CA
$VALUE

EOF
l cn-mismatch <<EOF
dn: CN=adpki Sample Root CA,CN=AIA,$PKS
changetype: add
objectClass: top
objectClass: certificationAuthority
cn: NTAuthCertificates
$VALUE
authorityRevocationList:: AA==
certificateRevocationList:: AA==

EOF
l modify-without-values <<EOF
dn: CN=NTAuthCertificates,$PKS
changetype: modify
add: cACertificate
-

EOF
l not-a-dn <<EOF
dn: this is not a DN
changetype: delete

EOF
l version-2 <<EOF
version: 2

dn: CN=adpki Sample Root CA,CN=AIA,$PKS
changetype: delete

EOF
l not-ldif <<EOF
This is not LDIF at all.
EOF
# A bare carriage return inside a line (CR LF line ends are valid LDIF).
printf 'dn: CN=adpki Sample Root CA,CN=AIA,%s\rchangetype: delete\n\n' "$PKS" >bad-ldif/cr-inside-line.ldif
# delete-absent.ldif (a delete of an object that is not there) is not bad input:
# applying it is a no-op; tests/data/server/delete-absent.ldif is tested in
# server-samba-write.test.
printf 'dn: CN=adpki Sample\000Root CA,CN=AIA,%s\nchangetype: delete\n\n' "$PKS" >bad-ldif/nul-byte.ldif
# A value over AD's 32,768-byte limit.
{
	printf 'dn: CN=NTAuthCertificates,%s\nchangetype: modify\nadd: cACertificate\n' "$PKS"
	head -c 40000 /dev/zero | tr '\0' 'A' | base64 -w0 | fold -w 76 |
		sed '1s/^/cACertificate:: /; 2,$s/^/ /'
	printf '\n-\n\n'
} >bad-ldif/value-too-large.ldif
# One line of more than 64 KiB after unfolding (a huge DN).
{
	printf 'dn: CN=%s,CN=AIA,%s\n' "$(head -c 70000 /dev/zero | tr '\0' 'x')" "$PKS" |
		fold -w 76 | sed '2,$s/^/ /'
	printf 'changetype: delete\n\n'
} >bad-ldif/line-too-long.ldif

echo "hostile and bad inputs regenerated in $here"
