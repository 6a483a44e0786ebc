"""Build small signed journals by hand, and bend them, to test the verifier's every rule."""

from __future__ import annotations

from typing import Any

from tests.vectors.journal_vectors import seeded_keys
from tokenvault.crypto.keys import MemberKeys
from tokenvault.domain.journal import ZERO_HASH, Entry, pop_message
from tokenvault.domain.model import Role
from tokenvault.domain.policy import DEFAULT_POLICY
from tokenvault.domain.replay import member_body

VAULT = "ab" * 16
FP = "hmac-sha256:k1:" + "00" * 16
FP2 = "hmac-sha256:k1:" + "01" * 16


class JournalBuilder:
    """Appends correctly signed entries unless told otherwise (sign_as, prev, seq, ts …)."""

    def __init__(self, admin: str = "alice", *, genesis: bool = True) -> None:
        self.keys: dict[str, MemberKeys] = {}
        self.lines: list[bytes] = []
        self._prev = ZERO_HASH
        self._second = 0
        if genesis:
            self.add(admin, "vault.genesis", self.genesis_body(admin))

    def genesis_body(self, admin: str) -> dict[str, Any]:
        return {
            "vault_name": "Test",
            "member": self.member(admin, Role.ADMIN),
            "fp_key_id": "k1",
            "policy": DEFAULT_POLICY.to_json(),
        }

    def member(self, member_id: str, role: Role) -> dict[str, str]:
        keys = self.keys.setdefault(member_id, seeded_keys(member_id))
        return member_body(
            member_id, role, member_id.title(), keys.ed25519_public, keys.x25519_public
        )

    def add_member(self, actor: str, member_id: str, role: Role = Role.OPERATOR) -> bytes:
        body = self.member(member_id, role)
        pop = self.keys[member_id].sign(pop_message(VAULT, body["ed25519"], body["x25519"]))
        return self.add(actor, "member.add", {"member": body, "pop": pop.hex()})

    def create_token(self, actor: str, token_id: int = 1, name: str = "tok") -> bytes:
        body: dict[str, Any] = {
            "token": token_id,
            "name": name,
            "service": "",
            "environment": "",
            "owner": actor,
            "scopes": [],
            "used_by": [],
            "tags": [],
            "notes": "",
            "issued_at": "2026-01-01T00:00:00.000Z",
            "expires_at": None,
            "rotate_every_days": None,
            "last_rotated_at": "2026-01-01T00:00:00.000Z",
            "version": 1,
            "fingerprint": FP,
            "source": "",
        }
        return self.add(actor, "token.create", body)

    def add(
        self,
        actor: str,
        kind: str,
        body: dict[str, Any],
        *,
        sign_as: MemberKeys | None = None,
        prev: str | None = None,
        seq: int | None = None,
        ts: str | None = None,
        vault: str = VAULT,
        signature: bytes | None = None,
    ) -> bytes:
        self._second += 1
        entry = Entry(
            vault=vault,
            seq=len(self.lines) if seq is None else seq,
            ts=ts or f"2026-01-01T00:00:{self._second:02d}.000Z",
            actor=actor,
            type=kind,
            body=body,
            prev=self._prev if prev is None else prev,
        )
        keys = sign_as or self.keys.get(actor) or seeded_keys(actor)
        entry = entry.signed(signature or keys.sign(entry.signing_message()))
        self.lines.append(entry.line)
        self._prev = entry.leaf_hash.hex()
        return entry.line
