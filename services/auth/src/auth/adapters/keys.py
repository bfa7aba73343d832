"""ES256 signing keys: generated here, kept encrypted in the database, published as a JWKS."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from auth.domain.model import KeyStatus, SigningKey
from servicekit.security import ALGORITHM


def generate_key(*, now: datetime, passphrase: bytes, status: KeyStatus) -> SigningKey:
    """A new P-256 key; its ``kid`` tells when it was made, for the operators."""
    private = ec.generate_private_key(ec.SECP256R1())
    kid = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    public: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    public |= {"kid": kid, "use": "sig", "alg": ALGORITHM}
    return SigningKey(
        kid=kid,
        status=status,
        private_pem=pem,
        public_jwk=public,
        created_at=now,
        activated_at=now if status is KeyStatus.ACTIVE else None,
    )


def load_private_key(key: SigningKey, passphrase: bytes) -> ec.EllipticCurvePrivateKey:
    private = serialization.load_pem_private_key(key.private_pem, password=passphrase)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise TypeError(f"signing key {key.kid} is not an EC key")
    return private


def sign(claims: dict[str, Any], *, kid: str, private: ec.EllipticCurvePrivateKey) -> str:
    return jwt.encode(claims, private, algorithm=ALGORITHM, headers={"kid": kid, "typ": "JWT"})
