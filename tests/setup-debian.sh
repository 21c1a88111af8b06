#!/bin/sh
# Installs everything adpki needs to build, and to run its test suite with
# real servers (Samba AD DC, OpenLDAP slapd), on Debian 12.  Run as root.
# Services are not started by the packages: the tests run their own.
set -eu
export DEBIAN_FRONTEND=noninteractive

PACKAGES="build-essential autoconf automake libtool pkg-config
  libldap-dev libsasl2-dev libgnutls28-dev libjansson-dev libkrb5-dev
  libsasl2-modules-gssapi-mit ldap-utils krb5-user gnutls-bin openssl ca-certificates
  samba samba-ad-dc samba-ad-provision libnss-wrapper libresolv-wrapper
  slapd jq python3 python3-cryptography faketime strace util-linux iproute2 time
  valgrind clang libclang-rt-14-dev libfuzzer-14-dev"

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-debian.sh: run as root (it installs Debian packages)" >&2
	exit 1
fi
# slapd: create no configuration or database of its own.
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
# Keep the packages from starting smbd/nmbd/slapd services during install:
# tests start private servers on loopback and must not find ports taken.
policy_rc=/usr/sbin/policy-rc.d
created_policy=no
if [ ! -e "$policy_rc" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy_rc"
	chmod 755 "$policy_rc"
	created_policy=yes
fi
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $PACKAGES
[ "$created_policy" = yes ] && rm -f "$policy_rc"
echo "setup-debian.sh: dependencies installed"
