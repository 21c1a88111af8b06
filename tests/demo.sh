#!/bin/sh
# The README's first command: on a fresh Debian 12 machine, as root, install
# what adpki needs, build it, start a throwaway Samba AD DC on 127.0.0.2
# (private directories, stopped at the end), and run adpki's main job
# against it with a Kerberos ticket.  Nothing outside the build tree and a
# temporary directory is changed besides the Debian packages.
#   ADPKI_SKIP_SETUP=1   do not run apt-get (dependencies already there)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

if [ "${ADPKI_SKIP_SETUP:-}" != 1 ]; then
	sh tests/setup-debian.sh
fi
if [ ! -x ./adpki ]; then
	[ -f config.status ] || { ./autogen.sh && ./configure -q; }
	make -j2 >/dev/null
fi

ADPKI=$top/adpki
. tests/lib.sh
. tests/fixtures/samba.sh
ADPKI_REQUIRE_FIXTURES=1   # a DC that cannot start is an error here
samba_start
echo "# Kerberos ticket for $SAMBA_ADMIN_PRINCIPAL in $KRB5CCNAME; DC at $SAMBA_URI"

run() {
	printf '\n$ %s\n' "$*"
	"$@"
}
export XDG_STATE_HOME="$T/state"   # undo files land in the throwaway directory
# Another tool (ldapmodify) publishes a root, as a Windows admin might have.
cat > "$T/planted.ldif" <<LDIF
dn: CN=DigiCert Global Root CA,CN=Certification Authorities,$SAMBA_PKS_DN
changetype: add
objectClass: certificationAuthority
cACertificate:< file://$top/samples/digicert-global-root-ca.cer
authorityRevocationList:: AA==
certificateRevocationList:: AA==
LDIF
run ldapmodify -Q -Y GSSAPI -H "$SAMBA_URI" -f "$T/planted.ldif"
run "$ADPKI" list -H "$SAMBA_URI"
# The plan first: a dry-run diff and the LDIF an AD team could review.
run "$ADPKI" publish -H "$SAMBA_URI" --dry-run --ldif="$T/plan.ldif" \
	samples/sample-chain.p7b samples/digicert-global-root-g2.crt
run cat "$T/plan.ldif"
run "$ADPKI" publish -H "$SAMBA_URI" samples/sample-chain.p7b samples/digicert-global-root-g2.crt
run "$ADPKI" publish -H "$SAMBA_URI" --as=ntauth samples/sample-root-ca.cer
run "$ADPKI" list -H "$SAMBA_URI"
root=$("$ADPKI" show --format=json samples/sample-root-ca.cer | jq -r '.certificates[0].sha1')
run "$ADPKI" remove -H "$SAMBA_URI" --dry-run "$root"
run "$ADPKI" remove -H "$SAMBA_URI" "$root"
run "$ADPKI" list -H "$SAMBA_URI" --format=json --container=rootca
echo
echo "# demo finished; the DC is stopped and its files removed"
