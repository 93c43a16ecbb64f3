"""Ed25519 keys for the ledger: generating them, and writing and reading them as text.

A key is written as base64url (no padding) of its 32 raw bytes: the public key, or the
private key's seed. A key file maps key ids (an entry's ``signer``) to public keys:
``{"keys": {"server": "<public key>", ...}}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from deconfliction.channel.canonical import loads_strict
from deconfliction.core.errors import ValidationError

__all__ = [
    "b64_bytes",
    "b64_text",
    "generate_key",
    "keys_from_json",
    "keys_to_json",
    "private_key_from_text",
    "private_key_text",
    "public_key_from_text",
    "public_key_text",
]

_B64URL = re.compile(r"[A-Za-z0-9_-]+")


def b64_text(raw: bytes) -> str:
    """Return ``raw`` as base64url without padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64_bytes(text: object) -> bytes | None:
    """The bytes of canonical unpadded base64url ``text``, else ``None``.

    Canonical means it is what :func:`b64_text` gives for those bytes: no stray characters and
    no set bits in the unused tail, so that one signature or key has exactly one spelling.
    """
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if b64_text(raw) == text else None


def generate_key() -> Ed25519PrivateKey:
    """Return a new random Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Return the public key (of a private key, or itself) as base64url of its 32 raw bytes.

    >>> public_key_text(private_key_from_text("A" * 43))
    'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik'
    """
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return b64_text(public.public_bytes_raw())


def public_key_from_text(s: str) -> Ed25519PublicKey:
    """Return the public key that :func:`public_key_text` wrote; ``BAD_KEY`` if it is not one.

    >>> key = generate_key()
    >>> public_key_text(public_key_from_text(public_key_text(key))) == public_key_text(key)
    True
    """
    raw = b64_bytes(s)
    if raw is None or len(raw) != 32:
        raise ValidationError("BAD_KEY", "a public key is 43 base64url characters (32 bytes)")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as err:
        raise ValidationError("BAD_KEY", f"not an Ed25519 public key: {err}") from None


def private_key_text(key: Ed25519PrivateKey) -> str:
    """Return the private key's 32-byte seed as base64url. Keep it secret.

    >>> private_key_text(private_key_from_text("A" * 43)) == "A" * 43
    True
    """
    return b64_text(key.private_bytes_raw())


def private_key_from_text(s: str) -> Ed25519PrivateKey:
    """Return the private key whose seed :func:`private_key_text` wrote; ``BAD_KEY`` if not one."""
    raw = b64_bytes(s)
    if raw is None or len(raw) != 32:
        raise ValidationError("BAD_KEY", "a private key is 43 base64url characters (32 bytes)")
    return Ed25519PrivateKey.from_private_bytes(raw)


def keys_to_json(keys: Mapping[str, Ed25519PublicKey]) -> str:
    """Return a key file: ``{"keys": {"<key id>": "<public key text>", ...}}``.

    >>> print(keys_to_json({"server": private_key_from_text("A" * 43).public_key()}))
    {
      "keys": {
        "server": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"
      }
    }
    """
    texts = {key_id: public_key_text(key) for key_id, key in keys.items()}
    return json.dumps({"keys": texts}, indent=2, sort_keys=True) + "\n"


def keys_from_json(text: str | bytes) -> dict[str, Ed25519PublicKey]:
    """Return the public keys in a key file; ``BAD_KEY_FILE`` or ``BAD_KEY`` with the field.

    >>> keys_from_json('{"keys": {"server": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"}}')
    {'server': <cryptography...Ed25519PublicKey object at 0x...>}
    >>> keys_from_json('{"keys": {"server": "nope"}}')
    Traceback (most recent call last):
    ...
    deconfliction.core.errors.ValidationError: keys.server: a public key is 43 base64url
    characters (32 bytes)
    """
    shape = 'a key file is {"keys": {"<key id>": "<base64url public key>", ...}}'
    try:
        data = loads_strict(text)
    except ValueError as err:  # JSONDecodeError, _NotStrictJsonError and bad UTF-8 alike
        raise ValidationError("BAD_KEY_FILE", f"not JSON: {err}") from None
    if not isinstance(data, dict) or set(data) != {"keys"}:
        raise ValidationError("BAD_KEY_FILE", shape)
    entries = data["keys"]
    if not isinstance(entries, dict):
        raise ValidationError("BAD_KEY_FILE", shape, "keys")
    keys: dict[str, Ed25519PublicKey] = {}
    for key_id, key_text in entries.items():
        if not key_id:
            raise ValidationError("BAD_KEY_FILE", "a key id must not be empty", "keys")
        if not isinstance(key_text, str):
            raise ValidationError("BAD_KEY_FILE", shape, f"keys.{key_id}")
        try:
            keys[key_id] = public_key_from_text(key_text)
        except ValidationError as err:
            raise err.with_field_prefix(f"keys.{key_id}") from None
    return keys
