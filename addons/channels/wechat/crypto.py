"""WeChat Official Account signatures and safe-mode message encryption, with `cryptography`.

Signatures (URL check, every callback, and safe mode's msg_signature) are the SHA-1 of the sorted
parts concatenated; they are compared in constant time.

Safe mode (encrypt_type=aes): key = base64(EncodingAESKey + "="), 32 bytes; AES-256-CBC with
IV = key[:16]; PKCS#7 padding to a 32-byte block; plaintext = 16 random bytes + the message length
(4 bytes, big-endian) + the message + the AppID, which must be ours.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from typing import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16


class CryptoError(ValueError):
    """The ciphertext is not a well-formed WeChat safe-mode message."""


class AppIdMismatch(CryptoError):
    """The message decrypted, but it was encrypted for another account."""


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(given: str | None, *parts: str | None) -> bool:
    """True when `given` is the signature of `parts`; every part must be present. Constant time."""
    if not given or any(p is None for p in parts):
        return False
    expected = signature(*parts)  # type: ignore[arg-type]
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8", "replace"))


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """The 43-character EncodingAESKey from the admin console → the 32-byte AES key."""
    try:
        key = base64.b64decode((encoding_aes_key or "").strip() + "=", validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("EncodingAESKey is not valid base64") from error
    if len(key) != 32:
        raise ValueError("EncodingAESKey must be 43 characters (a 32-byte key)")
    return key


class MessageCipher:
    def __init__(self, encoding_aes_key: str, appid: str,
                 random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self.key = decode_aes_key(encoding_aes_key)
        self.appid = appid.encode("utf-8")
        self._random = random_bytes

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, message: str | bytes) -> str:
        data = message.encode("utf-8") if isinstance(message, str) else message
        plain = self._random(16) + struct.pack(">I", len(data)) + data + self.appid
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> bytes:
        """The message inside `encrypted`; raises CryptoError, or AppIdMismatch for another AppID."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError, TypeError) as error:
            raise CryptoError("Encrypt is not base64") from error
        if not raw or len(raw) % 16:
            raise CryptoError("ciphertext length is not a multiple of the AES block")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CryptoError("bad padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise CryptoError("truncated message")
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise CryptoError("message length exceeds the data")
        message, appid = content[4:4 + length], content[4 + length:]
        if not hmac.compare_digest(appid, self.appid):
            raise AppIdMismatch("the message is for another AppID")
        return message
