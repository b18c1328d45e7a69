"""Turning a parsed credential into a signed compact JWS (VC-JOSE-COSE)."""

from __future__ import annotations

from typing import Any

from passport import jws
from passport.credential import CONTENT_TYPE, MEDIA_TYPE, Credential
from passport.keys import PrivateKey


def sign_credential(credential: Credential, key: PrivateKey) -> str:
    """Sign an already-parsed credential: `typ: vc+jwt`, `cty: vc`, `kid` = key thumbprint."""
    return jws.sign(credential.payload(), key, typ=MEDIA_TYPE, cty=CONTENT_TYPE)


def sign_claims(claims: dict[str, Any], key: PrivateKey) -> tuple[Credential, str]:
    """Parse claims (refusing anything invalid) and sign them."""
    credential = Credential.from_claims(claims)
    return credential, sign_credential(credential, key)
