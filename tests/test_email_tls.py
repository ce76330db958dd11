"""SMTP over STARTTLS and implicit TLS, against aiosmtpd with a certificate made here."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from localoffer_audit.outputs.mail import SmtpSender, prepare_and_send

from .support.email import TODAY, Inbox, config_for, free_port, setup_world


def make_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_delivery_checks_the_certificate(db, tmp_path: Path, security: str) -> None:
    setup_world(db, tmp_path)
    cert, key = make_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    port = free_port()
    inbox = Inbox()
    if security == "starttls":
        controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_context, require_starttls=True)
    else:
        controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=server_context)
    controller.start()
    try:
        config = config_for(tmp_path, port, security=security)
        # The system's authorities do not know this certificate: refused, kept queued.
        untrusted = prepare_and_send(db, config, send=True, out_dir=tmp_path, today=TODAY)
        assert untrusted.counts == {"queued": 3}
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted.outcomes[0].error
        assert inbox.received == []

        trusting = ssl.create_default_context(cafile=str(cert))
        summary = prepare_and_send(
            db, config, send=True, out_dir=tmp_path, today=TODAY,
            sender_factory=lambda email_config: SmtpSender(email_config, context=trusting),
        )
    finally:
        controller.stop()
    assert summary.counts == {"sent": 3}
    assert len(inbox.by_recipient()) == 3
