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
run "$ADPKI" list -H "$SAMBA_URI" --container=rootca --format=json
echo
echo "# demo finished; the DC is stopped and its files removed"
