"""Letter codes: 12 characters from an unambiguous alphabet, shown as XXXX-XXXX-XXXX.

A code is derived from the server key and a random nonce (from `secrets`), so a letter can
be printed again; the database keeps the nonce and an HMAC of the code for look-up, never
the code. Without REGISTER_HMAC_KEY neither reveals the code.
"""

from __future__ import annotations

import hmac
import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: nothing to misread
LENGTH = 12
GROUP = 4
_DERIVE_TAG = b"letter-code:derive:"
_LOOKUP_TAG = b"letter-code:lookup:"


def new_nonce() -> str:
    """A fresh random nonce (hex) for one code."""
    return secrets.token_hex(16)


def derive_code(key: bytes, nonce: str) -> str:
    """The normalized code (12 characters) behind `nonce`."""
    digest = hmac.digest(key, _DERIVE_TAG + nonce.encode(), "sha256")
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def code_hash(key: bytes, code: str) -> str:
    """The stored look-up form of a normalized code."""
    return hmac.digest(key, _LOOKUP_TAG + code.encode(), "sha256").hex()


def normalize(text: str) -> str | None:
    """The code as typed (any case, spaces or dashes) in normal form, or None when it cannot
    be a code (wrong length or characters)."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t")
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def display(code: str) -> str:
    """A normalized code in groups: ABCD-EFGH-JKLM."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))
