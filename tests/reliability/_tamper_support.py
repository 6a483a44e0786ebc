"""Helpers shared by the security tests: touching vault files the way an attacker or an insider
with the data key would, and the assertions every refusal must pass.

Nothing here replaces a component: the database is opened with sqlcipher3 and the real data key,
keys.json is edited as JSON text, and the page decryptor re-implements SQLCipher 4's documented
page format only so the leakage tests can look *inside* the encrypted file (it checks every
page's HMAC, so a wrong decryption fails loudly instead of finding nothing).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlcipher3 import dbapi2

from tokenvault.domain.errors import TokenVaultError

# SQLCipher 4 defaults (the vault does not change them): 4 KiB pages; each page ends with a
# 16-byte IV and a 64-byte HMAC-SHA512; page 1 starts with the 16-byte file salt.
PAGE_SIZE = 4096
IV_BYTES = 16
HMAC_BYTES = 64
RESERVE = IV_BYTES + HMAC_BYTES
SALT_BYTES = 16
WAL_HEADER = 32
WAL_FRAME_HEADER = 24


# ---- the database, behind the service's back ---------------------------------------------


@contextlib.contextmanager
def raw_db(path: Path, dek: bytes) -> Iterator[Any]:
    """An autocommit sqlcipher3 connection keyed with the raw data key (an insider's view)."""
    conn = dbapi2.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{dek.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        yield conn
    finally:
        conn.close()


def drop_journal_triggers(conn: Any) -> None:
    """The append-only triggers are defence in depth, not the boundary: an insider drops them."""
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("DROP TRIGGER journal_no_delete")


def page_owners(conn: Any) -> dict[int, str]:
    """Root page number -> table or index name, so tests pick pages by what they hold."""
    rows = conn.execute("SELECT rootpage, name FROM sqlite_master WHERE rootpage > 0").fetchall()
    return {int(page): str(name) for page, name in rows}


def flip_byte(path: Path, offset: int, mask: int = 0x01) -> None:
    """XOR one byte of a file in place (a bit rot or a deliberate edit)."""
    with path.open("r+b") as handle:
        handle.seek(offset)
        original = handle.read(1)
        assert len(original) == 1, f"offset {offset} is past the end of {path.name}"
        handle.seek(offset)
        handle.write(bytes([original[0] ^ mask]))


# ---- keys.json --------------------------------------------------------------------------


def read_keys(vault_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((vault_dir / "keys.json").read_bytes())
    return data


def write_keys(vault_dir: Path, data: Mapping[str, Any] | bytes) -> None:
    """Overwrite keys.json in place (the file keeps its 0600 mode, as an editor would)."""
    raw = data if isinstance(data, bytes) else json.dumps(data, indent=2).encode()
    (vault_dir / "keys.json").write_bytes(raw)


def slot_of(data: Mapping[str, Any], member: str) -> dict[str, Any]:
    for slot in data["slots"]:
        if slot["member"] == member:
            found: dict[str, Any] = slot
            return found
    raise AssertionError(f"keys.json has no slot for {member}")


def other_hex(value: str) -> str:
    """The same hex string with its first digit changed (still valid hex, same length)."""
    first = "1" if value[0] == "0" else "0"
    return first + value[1:]


# ---- what every refusal must look like ---------------------------------------------------


def assert_clean_error(exc: BaseException, expected: type[TokenVaultError]) -> None:
    """Ours (not a library's exception leaking through), the documented class, one line."""
    assert isinstance(exc, expected), f"expected {expected.__name__}, got {type(exc)!r}: {exc}"
    assert type(exc).__module__.startswith("tokenvault."), type(exc)
    message = str(exc)
    assert message, "an error without a message tells the member nothing"
    assert message.splitlines() == [message], f"not one line: {message!r}"


def expect_error(
    expected: type[TokenVaultError], action: Callable[[], object], match: str | None = None
) -> TokenVaultError:
    """Run `action`, require exactly a clean `expected` error (optionally matching), return it."""
    with pytest.raises(TokenVaultError) as info:
        action()
    assert_clean_error(info.value, expected)
    if match is not None:
        assert match in str(info.value), f"{match!r} not in {str(info.value)!r}"
    return info.value


def exception_texts(exc: BaseException) -> list[str]:
    """Everything a face, a log or a crash report could print about `exc`, its whole chain."""
    texts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        current = current.__cause__ or current.__context__
    return texts


# ---- looking for leaked bytes -------------------------------------------------------------


def encodings(secret: bytes) -> dict[str, bytes]:
    """The forms a leaked secret takes in files and logs: raw, hex, base64 (standard and
    URL-safe, at all three byte alignments, so an embedded copy is found too), UTF-16."""
    forms = {
        "raw": secret,
        "hex": secret.hex().encode(),
        "HEX": secret.hex().upper().encode(),
        "utf-16-le": secret.decode("utf-8", "replace").encode("utf-16-le"),
    }
    for shift in range(3):
        padded = b"\x00" * shift + secret
        for name, encode in (("b64", base64.b64encode), ("b64url", base64.urlsafe_b64encode)):
            text = encode(padded)
            # Characters touched by the padding in front or by whatever follows are unstable.
            forms[f"{name}+{shift}"] = text[4 if shift else 0 : -4]
    return forms


def leaks(blob: bytes, needles: Mapping[str, bytes], where: str) -> list[str]:
    """'<needle> (<form>) in <where>' for every encoded needle found in `blob`."""
    found = []
    for label, needle in needles.items():
        for form, encoded in encodings(needle).items():
            if encoded and encoded in blob:
                found.append(f"{label} ({form}) in {where}")
    return found


def files_under(root: Path) -> list[Path]:
    """Every regular file below `root`, hidden ones included."""
    return sorted(p for p in root.rglob("*") if p.is_file())


# ---- inside the encrypted file (SQLCipher 4 page format) --------------------------------


def _hmac_key(dek: bytes, salt: bytes) -> bytes:
    # Raw-key mode: the HMAC key is PBKDF2-HMAC-SHA512(key, salt XOR 0x3a, 2 iterations).
    return hashlib.pbkdf2_hmac("sha512", dek, bytes(b ^ 0x3A for b in salt), 2, 32)


def _decrypt_page(dek: bytes, mac_key: bytes, page: bytes, number: int) -> bytes:
    start = SALT_BYTES if number == 1 else 0
    body = page[start : PAGE_SIZE - RESERVE]
    iv = page[PAGE_SIZE - RESERVE : PAGE_SIZE - HMAC_BYTES]
    tag = page[PAGE_SIZE - HMAC_BYTES :]
    expected = hmac.new(mac_key, body + iv + number.to_bytes(4, "little"), hashlib.sha512)
    assert hmac.compare_digest(expected.digest(), tag), f"page {number}: HMAC does not verify"
    decryptor = Cipher(algorithms.AES(dek), modes.CBC(iv)).decryptor()
    return decryptor.update(body) + decryptor.finalize()


def decrypted_pages(db_path: Path, dek: bytes) -> list[bytes]:
    """Plaintext of every page of vault.db and of every frame in vault.db-wal (stale frames
    included: they are on disk too). Free pages are decrypted like any other."""
    data = db_path.read_bytes()
    assert len(data) % PAGE_SIZE == 0, "vault.db is not a whole number of pages"
    salt = data[:SALT_BYTES]
    mac_key = _hmac_key(dek, salt)
    pages = [
        _decrypt_page(dek, mac_key, data[i : i + PAGE_SIZE], i // PAGE_SIZE + 1)
        for i in range(0, len(data), PAGE_SIZE)
    ]
    wal_path = db_path.with_name(db_path.name + "-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    if wal:
        assert int.from_bytes(wal[8:12], "big") == PAGE_SIZE, "unexpected WAL page size"
    position = WAL_HEADER
    while position + WAL_FRAME_HEADER + PAGE_SIZE <= len(wal):
        number = int.from_bytes(wal[position : position + 4], "big")
        frame = wal[position + WAL_FRAME_HEADER : position + WAL_FRAME_HEADER + PAGE_SIZE]
        pages.append(_decrypt_page(dek, mac_key, frame, number))
        position += WAL_FRAME_HEADER + PAGE_SIZE
    return pages
