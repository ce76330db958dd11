"""Certificates for the demo's https hosts: one demo CA, a leaf per host on demand.

The https listener picks each host's certificate in its SNI callback, issuing it from
the demo CA the first time the name is asked for (a few ms), so 10,000 hosts cost
nothing until used. Hosts without https get a failed handshake; the "tls_mismatch"
hosts get a certificate for another name; the self-signed host has its own listener.
"""

from __future__ import annotations

import datetime
import ssl
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MISMATCH_NAME = "www.sharedhosting-platform.co.uk"


class DemoCertificates:
    def __init__(self, cache_size: int = 512) -> None:
        self.ca = trustme.CA(organization_name="Northmoor Demo Certificate Authority")
        self._contexts: OrderedDict[str, ssl.SSLContext] = OrderedDict()
        self._cache_size = cache_size

    def write_ca(self, path: Path) -> Path:
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def _context_for(self, name: str, expired: bool = False) -> ssl.SSLContext:
        key = f"expired:{name}" if expired else name
        context = self._contexts.get(key)
        if context is not None:
            self._contexts.move_to_end(key)
            return context
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        if expired:
            # Signed by the demo CA, but its validity ended months ago.
            now = datetime.datetime.now(datetime.UTC)
            leaf = self.ca.issue_cert(name, not_before=now - datetime.timedelta(days=460), not_after=now - datetime.timedelta(days=95))
        else:
            leaf = self.ca.issue_cert(name)
        leaf.configure_cert(context)
        self._contexts[key] = context
        if len(self._contexts) > self._cache_size:
            self._contexts.popitem(last=False)
        return context

    def server_context(self, lookup: Callable[[str], str | None], default_name: str) -> ssl.SSLContext:
        """The listener's context; ``lookup(name)`` -> "good", "mismatch", "expired" or None (no https)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(default_name).configure_cert(context)

        def pick(sslobj: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> int | None:
            if server_name is None:
                return None
            name = server_name.lower()
            found = lookup(name)
            if found is None:
                return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
            if found == "mismatch":
                sslobj.context = self._context_for(MISMATCH_NAME)
            else:
                sslobj.context = self._context_for(name, expired=found == "expired")
            return None

        context.sni_callback = pick
        return context


def self_signed_context(name: str) -> ssl.SSLContext:
    """A server context whose certificate signs itself (no CA vouches for it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as folder:
        cert_path = Path(folder) / "cert.pem"
        key_path = Path(folder) / "key.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        context.load_cert_chain(cert_path, key_path)
    return context


def self_signed_server_context(default_name: str) -> ssl.SSLContext:
    """A listener that answers every name with a certificate signed by itself."""
    contexts: dict[str, ssl.SSLContext] = {}
    context = self_signed_context(default_name)

    def pick(sslobj: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> None:
        if server_name:
            name = server_name.lower()
            if name not in contexts and len(contexts) < 256:
                contexts[name] = self_signed_context(name)
            sslobj.context = contexts.get(name, context)

    context.sni_callback = pick
    return context
