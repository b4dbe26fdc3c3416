"""A private certificate authority for signing test requests the way Alexa signs real ones."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import Store

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _cert(subject, key, issuer, issuer_key, *, ca: bool, start, end, san=None):
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer_key.public_key()), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=True,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class SigningCA:
    """A root, an intermediate, and a signing leaf for ``echo-api.amazon.com``."""

    root: x509.Certificate
    intermediate: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    leaf: x509.Certificate
    leaf_key: rsa.RSAPrivateKey

    @classmethod
    def create(cls) -> SigningCA:
        now = datetime.now(timezone.utc)
        root_key, inter_key, leaf_key = _key(), _key(), _key()
        root = _cert(_name("VoiceCart Test Root"), root_key, _name("VoiceCart Test Root"),
                     root_key, ca=True, start=now - timedelta(days=1),
                     end=now + timedelta(days=3650))
        inter = _cert(_name("VoiceCart Test Intermediate"), inter_key, root.subject, root_key,
                      ca=True, start=now - timedelta(days=1), end=now + timedelta(days=1000))
        leaf = cls.make_leaf(inter, inter_key, leaf_key, san=["echo-api.amazon.com"])
        return cls(root, inter, inter_key, leaf, leaf_key)

    @staticmethod
    def make_leaf(inter, inter_key, leaf_key, *, san, start=None, end=None):
        now = datetime.now(timezone.utc)
        return _cert(_name("echo-api.amazon.com"), leaf_key, inter.subject, inter_key,
                     ca=False, start=start or now - timedelta(days=1),
                     end=end or now + timedelta(days=365), san=san)

    def store(self) -> Store:
        return Store([self.root])

    def chain_pem(self, leaf: x509.Certificate | None = None) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM)
                        for c in (leaf or self.leaf, self.intermediate))

    def sign(self, body: bytes, key: rsa.RSAPrivateKey | None = None,
             algorithm: hashes.HashAlgorithm | None = None) -> str:
        signature = (key or self.leaf_key).sign(body, padding.PKCS1v15(),
                                                algorithm or hashes.SHA256())
        return base64.b64encode(signature).decode()

    def headers(self, body: bytes, url: str = CERT_URL) -> dict[str, str]:
        return {"SignatureCertChainUrl": url, "Signature-256": self.sign(body),
                "Content-Type": "application/json"}


def body_of(request: dict) -> bytes:
    return json.dumps(request).encode()
