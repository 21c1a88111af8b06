#!/usr/bin/env python3
"""expired-certs.py N PREFIX: print N distinct self-signed CA certificates
that expired on 2021-01-01, one per line as "CN<TAB>base64(DER)", for the
prune figure of bench/run.sh.  tests/fixtures/bulk-certs.py makes valid
ones the same way (one RSA-2048 key signs all; each has its own CN and
serial, so the thumbprints differ); ~1 ms per certificate.
"""
import base64
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def main():
    n = int(sys.argv[1])
    prefix = sys.argv[2]
    if not 0 < n <= 100000:
        sys.exit("expired-certs.py: N out of range")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = datetime.datetime(2019, 1, 1)
    end = datetime.datetime(2021, 1, 1)
    for i in range(1, n + 1):
        cn = "%s %05d" % (prefix, i)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        cert = (x509.CertificateBuilder()
                .subject_name(name).issuer_name(name)
                .public_key(key.public_key())
                .serial_number(0x20000 + i)
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                               critical=True)
                .sign(key, hashes.SHA256()))
        der = cert.public_bytes(serialization.Encoding.DER)
        sys.stdout.write("%s\t%s\n" % (cn, base64.b64encode(der).decode("ascii")))


if __name__ == "__main__":
    main()
