"""The key pair that lets a tablet keep a typed visitor code offline without ever storing it in clear.

The pseudonym is an HMAC keyed on the server, so a check-in typed offline cannot be turned into
a pseudonym on the tablet. Instead the check-in page carries this RSA public key; the outbox
encrypts the code parts with it (WebCrypto, RSA-OAEP with SHA-256) before anything is written
to IndexedDB, and sends the ciphertext when the connection is back. Only the server can open
it; it then computes the pseudonym as for any check-in. The ciphertext is part of a POST body
only (never a URL, never logged).

The private key is made once per installation and kept in the instance folder sealed with
``ROOMLOG_DATA_KEY`` (roomlog/auth/sealing.py), so a copy of that file alone opens nothing.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import current_app

from roomlog.auth.sealing import SealError, seal, unseal

FILE_NAME = "outbox-code-key.sealed"
#: The fields of a check-in form that make up the visitor code (never stored in clear on a tablet).
CODE_FIELDS = ("last_letters", "first_letters", "birth", "birth_day", "birth_month", "birth_year", "sex")
MAX_CIPHERTEXT_CHARS = 1024


class SealedCodeError(ValueError):
    """A sealed code could not be opened (another key, damaged, or not what a tablet sends)."""


@dataclass(frozen=True)
class CodeKey:
    """The private key and what the check-in page publishes of it."""

    private: rsa.RSAPrivateKey
    public_spki: str  # base64 SubjectPublicKeyInfo, what WebCrypto imports
    kid: str  # names the key, so a ciphertext made with an older key is recognised


def _load_or_create(path: Path, data_key: str) -> bytes:
    """Return the private key's PEM, creating and sealing it once (workers may race: one wins).

    A file no configured data key opens any more (the key it was sealed with was retired) is
    set aside and a new pair made: entries sealed with the old public key are then refused
    for re-typing, never opened with a guess.
    """
    keys = [k.strip() for k in data_key.split(",")]
    if path.exists():
        try:
            return unseal(path.read_text(encoding="ascii").strip(), keys).encode()
        except SealError:
            with contextlib.suppress(FileNotFoundError):
                os.replace(path, path.with_name(f"{path.name}.retired-{secrets.token_hex(4)}"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(seal(pem.decode("ascii"), keys) + "\n")
    try:
        os.link(temp, path)  # atomic: the first worker's key is everybody's
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return unseal(path.read_text(encoding="ascii").strip(), keys).encode()


@lru_cache(maxsize=4)
def _key_for(instance_path: str, data_key: str) -> CodeKey:
    pem = _load_or_create(Path(instance_path) / FILE_NAME, data_key)
    private = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise SealedCodeError("the outbox code key is not an RSA key")
    spki = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return CodeKey(private, base64.b64encode(spki).decode("ascii"), hashlib.sha256(spki).hexdigest()[:16])


def code_key() -> CodeKey:
    """Return this installation's code key pair (made on first use)."""
    return _key_for(current_app.instance_path, str(current_app.config["DATA_KEY"]))


def open_sealed_code(ciphertext: str, kid: str) -> dict[str, str]:
    """Return the code fields a tablet sealed; raise ``SealedCodeError`` when they cannot be opened."""
    key = code_key()
    if kid != key.kid:
        raise SealedCodeError("sealed with another key")
    if not ciphertext or len(ciphertext) > MAX_CIPHERTEXT_CHARS:
        raise SealedCodeError("no ciphertext")
    try:
        raw = base64.b64decode(ciphertext, validate=True)
        plain = key.private.decrypt(
            raw, padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        )
        fields = json.loads(plain.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, SealError) as exc:
        raise SealedCodeError("the sealed code cannot be opened") from exc
    if not isinstance(fields, dict):
        raise SealedCodeError("not a code")
    return {name: str(fields[name])[:16] for name in CODE_FIELDS if isinstance(fields.get(name), str | int)}
