"""Rating tokens: the secret on a receipt that entitles its holder to rate the dossier.

128 random bits (`secrets`), URL-safe; intake hands the token to the applicant with the receipt
and publishes only its SHA-256 (a salt or a slow hash adds nothing to 128 random bits), which
survey compares in constant time."""

import hashlib
import hmac
import secrets

TOKEN_BYTES = 16


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, expected_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), expected_hash)
