"""Sample journal exports, genuine and tampered, with the verdict each must get.

`python tests/vectors/export_vectors.py` rewrites tests/vectors/exports/: one `<case>.jsonl`
file per sample and `expected.json`, the verdict each case must get (status, exit code, first
bad line, seq, a fragment of the reason, and one sentence on what was done to the file;
`genesis` is the --genesis hash and `previous` the --previous value: a file in the directory
or a checkpoint SIZE:ROOT, null when not given). The
test suite rebuilds everything and requires it to be byte-identical, then runs our verifier on
every case; an auditor's independent verifier can be checked against the same table.

Everything is deterministic: members' keys are tests/vectors/journal_vectors.seeded_keys,
timestamps and export nonces are fixed, and Ed25519 signatures are deterministic. The genuine
exports are written exactly as services/export.py writes them (domain/export.py builds and
signs the manifest; the checkpoint note is signed like services/session.signed_note).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import rfc8785

if __package__ in (None, ""):  # run as a script: make `tests` and `tokenvault` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.vectors.journal_vectors import seeded_keys
from tokenvault.domain import checkpoint as cp
from tokenvault.domain import export as manifest_format
from tokenvault.domain.canonical import canonical_bytes
from tokenvault.domain.journal import SIG_CONTEXT, ZERO_HASH, Entry, pop_message
from tokenvault.domain.merkle import Frontier, hash_leaf
from tokenvault.domain.model import Role
from tokenvault.domain.policy import DEFAULT_POLICY
from tokenvault.domain.replay import member_body
from tokenvault.domain.timefmt import format_ts

EXPORTS = Path(__file__).parent / "exports"
VAULT = "5ca1ab1e" * 4
OTHER_VAULT = "d00dfeed" * 4
GHOST_VAULT = "0b5e55ed" * 4
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STEP = timedelta(hours=7, minutes=13, seconds=29, milliseconds=250)
IDENTITY_POINT = bytes([1]) + bytes(31)  # the Ed25519 identity: a small-order "public key"
UNIVERSAL_FORGERY = IDENTITY_POINT + bytes(
    32
)  # R = identity, S = 0: verifies without a point check
STATUS_EXIT = {"verified": 0, "unanchored": 1, "invalid": 4}


class Signer(Protocol):
    ed25519_public: bytes
    x25519_public: bytes

    def sign(self, message: bytes) -> bytes: ...


class Ghost:
    """A small-order Ed25519 "key". Without the point check (OpenSSL alone, Go's
    crypto/ed25519) one signature verifies under it for every message."""

    def __init__(self, name: str) -> None:
        self.ed25519_public = IDENTITY_POINT
        self.x25519_public = seeded_keys(name).x25519_public

    def sign(self, message: bytes) -> bytes:
        return UNIVERSAL_FORGERY


def nonce(label: str) -> str:
    return hashlib.sha256(f"tokenvault export vectors: {label}".encode()).hexdigest()[:32]


def fingerprint(label: str) -> str:
    return "hmac-sha256:k1:" + hashlib.sha256(label.encode()).hexdigest()[:32]


def member_json(member_id: str, role: Role, display: str, keys: Signer) -> dict[str, str]:
    return member_body(member_id, role, display, keys.ed25519_public, keys.x25519_public)


def make_entry(
    vault: str,
    seq: int,
    ts: str,
    actor: str,
    kind: str,
    body: Mapping[str, Any],
    prev: str,
    signer: Signer,
) -> Entry:
    entry = Entry(vault, seq, ts, actor, kind, body, prev)
    return entry.signed(signer.sign(entry.signing_message()))


def raw_entry_line(fields: Mapping[str, Any], signer: Signer) -> bytes:
    """JCS and a real signature, but without the value rules (for an NFD string, which the
    writer would refuse)."""
    unsigned = {k: v for k, v in fields.items() if k != "sig"}
    signature = signer.sign(SIG_CONTEXT + rfc8785.dumps(unsigned))
    return bytes(rfc8785.dumps({**unsigned, "sig": signature.hex()}))


def note_lines(vault: str, size: int, root: bytes, member_id: str, signer: Signer) -> list[str]:
    """The checkpoint note as services/session.signed_note signs it, as the manifest holds it."""
    checkpoint = cp.Checkpoint(cp.origin_for(vault), size, root)
    name = cp.key_name(vault, member_id)
    signature = cp.NoteSignature(
        name, cp.key_id(name, signer.ed25519_public), signer.sign(checkpoint.body())
    )
    return manifest_format.note_to_lines(cp.format_note(checkpoint, [signature]))


def seal(unsigned: Mapping[str, Any], signer: Signer) -> bytes:
    """The manifest line, signed as services/export.py signs it."""
    signature = signer.sign(manifest_format.signing_message(unsigned))
    return manifest_format.encode_manifest(unsigned, signature)


def file_of(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


class Journal:
    """A vault's journal written the way services/session.JournalWriter writes it."""

    def __init__(self, vault: str, start: datetime) -> None:
        self.vault = vault
        self.start = start
        self.entries: list[Entry] = []
        self.frontier = Frontier()
        self.keys: dict[str, Signer] = {}
        self.members: dict[str, dict[str, str]] = {}  # the manifest's form

    def ts(self, seq: int) -> str:
        return format_ts(self.start + seq * STEP)

    @property
    def prev(self) -> str:
        return self.entries[-1].leaf_hash.hex() if self.entries else ZERO_HASH

    @property
    def lines(self) -> list[bytes]:
        return [entry.line for entry in self.entries]

    def append(self, actor: str, kind: str, body: Mapping[str, Any]) -> Entry:
        seq = len(self.entries)
        entry = make_entry(
            self.vault, seq, self.ts(seq), actor, kind, body, self.prev, self.keys[actor]
        )
        self.entries.append(entry)
        self.frontier.append(entry.leaf_hash)
        return entry

    def _enrol(self, member: dict[str, str], keys: Signer) -> None:
        self.keys[member["id"]] = keys
        self.members[member["id"]] = {k: member[k] for k in ("id", "role", "ed25519", "x25519")}

    def genesis(self, admin: str, display: str, vault_name: str, keys: Signer) -> Entry:
        member = member_json(admin, Role.ADMIN, display, keys)
        self._enrol(member, keys)
        body = {
            "vault_name": vault_name,
            "member": member,
            "fp_key_id": "k1",
            "policy": DEFAULT_POLICY.to_json(),
        }
        return self.append(admin, "vault.genesis", body)

    def add_member(
        self, actor: str, member_id: str, role: Role, display: str, keys: Signer | None = None
    ) -> Entry:
        keys = keys or seeded_keys(member_id)
        member = member_json(member_id, role, display, keys)
        pop = keys.sign(pop_message(self.vault, member["ed25519"], member["x25519"]))
        entry = self.append(actor, "member.add", {"member": member, "pop": pop.hex()})
        self._enrol(member, keys)
        return entry

    def export(self, actor: str, export_nonce: str) -> Entry:
        body = {
            "nonce": export_nonce,
            "size": self.frontier.size,
            "root": self.frontier.root().hex(),
        }
        return self.append(actor, "journal.export", body)

    def manifest(self, exporter: str, export_nonce: str, vault_name: str) -> dict[str, Any]:
        """The unsigned manifest for the journal as it is now (services/export.py)."""
        root = self.frontier.root()
        last = self.start + (len(self.entries) - 1) * STEP
        return {
            "format": manifest_format.FORMAT,
            "vault": self.vault,
            "vault_name": vault_name,
            "exported_at": format_ts(last + timedelta(milliseconds=412)),
            "exported_by": exporter,
            "algorithms": dict(manifest_format.ALGORITHMS),
            "size": self.frontier.size,
            "root": root.hex(),
            "genesis": self.entries[0].leaf_hash.hex(),
            "checkpoint": note_lines(
                self.vault, self.frontier.size, root, exporter, self.keys[exporter]
            ),
            "nonce": export_nonce,
            "members": [self.members[mid] for mid in sorted(self.members)],
        }


# ---- the genuine vault ---------------------------------------------------------------------

TEAM = "Platform team"
TOKEN_1 = {"token": 1, "name": "café-payments"}
TOKEN_2 = {"token": 2, "name": "github-deploy"}
FP_1_V1 = fingerprint("café-payments v1")
REVEAL_1 = {**TOKEN_1, "version": 1, "fingerprint": FP_1_V1}


def token_body(
    token: Mapping[str, Any], owner: str, service: str, scopes: list[str], expires: str | None
) -> dict[str, Any]:
    return {
        **token,
        "service": service,
        "environment": "production",
        "owner": owner,
        "scopes": scopes,
        "used_by": ["ci:deploy"],
        "tags": [],
        "notes": "",
        "issued_at": "2026-03-01T00:00:00.000Z",
        "expires_at": expires,
        "rotate_every_days": 90,
        "last_rotated_at": "2026-03-01T00:00:00.000Z",
        "version": 1,
        "fingerprint": fingerprint(f"{token['name']} v1"),
        "source": "",
    }


@dataclass
class Export:
    """A genuine export: its manifest (unsigned and as written) and its entry lines."""

    file: str
    unsigned: dict[str, Any]
    manifest: bytes
    entries: list[bytes]

    @property
    def data(self) -> bytes:
        return file_of([self.manifest, *self.entries])


def sealed(file: str, j: Journal, exporter: str, export_nonce: str, vault_name: str) -> Export:
    unsigned = j.manifest(exporter, export_nonce, vault_name)
    return Export(file, unsigned, seal(unsigned, j.keys[exporter]), j.lines)


def build_vault() -> tuple[Journal, Export, Export]:
    """The team's vault: the earlier export (seq 0-7, by alice) and the full one (seq 0-17, by
    carol)."""
    j = Journal(VAULT, START)
    j.genesis("alice", "Alice Martin", TEAM, seeded_keys("alice"))  # 0
    j.add_member("alice", "bob", Role.OPERATOR, "Bob Okafor")  # 1
    j.append(
        "bob",
        "token.create",
        token_body(TOKEN_1, "bob", "stripe", ["charges:write"], "2026-09-01T00:00:00.000Z"),
    )  # 2
    j.append("bob", "token.reveal", {**REVEAL_1, "how": "copy"})  # 3
    j.add_member("alice", "dave", Role.OPERATOR, "Dave Ito")  # 4
    j.append("dave", "token.reveal", {**REVEAL_1, "how": "view"})  # 5
    j.append("alice", "member.remove", {"member": "dave", "epoch": 2})  # 6
    j.export("alice", nonce("earlier export"))  # 7
    earlier = sealed("earlier.jsonl", j, "alice", nonce("earlier export"), TEAM)
    j.add_member("alice", "carol", Role.ADMIN, "Carol Nguyễn")  # 8
    j.append("carol", "token.create", token_body(TOKEN_2, "carol", "github", ["repo"], None))  # 9
    j.append(
        "bob",
        "token.update",
        {**TOKEN_1, "changes": {"notes": {"before": "", "after": "live key, rotate with finance"}}},
    )  # 10
    j.append(
        "bob",
        "token.rotate",
        {
            **TOKEN_1,
            "version": 2,
            "fingerprint": fingerprint("café-payments v2"),
            "retired": {"version": 1, "fingerprint": FP_1_V1},
            "expires_at": {
                "before": "2026-09-01T00:00:00.000Z",
                "after": "2026-12-01T00:00:00.000Z",
            },
        },
    )  # 11
    j.append(
        "carol", "policy.update", {"changes": {"reminder_days": {"before": 14, "after": 21}}}
    )  # 12
    j.append("carol", "token.review", {**TOKEN_2, "note": "still used by the deploy job"})  # 13
    j.append(
        "alice",
        "token.reveal",
        {**TOKEN_2, "version": 1, "fingerprint": fingerprint("github-deploy v1"), "how": "view"},
    )  # 14
    j.append(
        "carol",
        "token.revoke",
        {**TOKEN_2, "reason": "decommissioned", "ticket": "OPS-118", "note": ""},
    )  # 15
    j.append("bob", "member.passphrase", {"member": "bob"})  # 16
    j.export("carol", nonce("genuine export"))  # 17
    genuine = sealed("genuine.jsonl", j, "carol", nonce("genuine export"), TEAM)
    return j, earlier, genuine


def build_other_vault() -> Export:
    """Another team's vault. alice is its admin too, with the same key, so her signatures
    there are genuine: a spliced entry gives itself away only by its vault id."""
    j = Journal(OTHER_VAULT, START + timedelta(days=3, minutes=17))
    j.genesis("alice", "Alice Martin", "Data team", seeded_keys("alice"))
    j.append(
        "alice",
        "token.create",
        token_body({"token": 1, "name": "snowflake-etl"}, "alice", "snowflake", ["rw"], None),
    )
    j.export("alice", nonce("other vault export"))
    return sealed("other-vault.jsonl", j, "alice", nonce("other vault export"), "Data team")


def build_ghost_vault() -> Export:
    """A vault whose only member has a small-order Ed25519 key; every signature is forged."""
    ghost = Ghost("ghost")
    j = Journal(GHOST_VAULT, START)
    j.genesis("ghost", "Ghost", "Ghost team", ghost)
    j.append(
        "ghost",
        "token.create",
        token_body({"token": 1, "name": "prod-db"}, "ghost", "postgres", ["rw"], None),
    )
    j.export("ghost", nonce("ghost export"))
    return sealed("small-order-genesis-key.jsonl", j, "ghost", nonce("ghost export"), "Ghost team")


# ---- tampering helpers ---------------------------------------------------------------------


def edit_json(line: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The line with a value changed, re-encoded canonically, its signature left as it was."""
    data = json.loads(line)
    change(data)
    return canonical_bytes(data)


def keeping_sig(manifest: bytes, **changes: Any) -> bytes:
    """The manifest with fields changed and its old signature kept."""
    return canonical_bytes({**json.loads(manifest), **changes})


def replace_once(line: bytes, old: bytes, new: bytes) -> bytes:
    assert line.count(old) == 1, (old, line)
    return line.replace(old, new)


@dataclass(frozen=True)
class Case:
    case: str
    file: str
    status: str
    why: str
    line: int | None = None
    seq: int | None = None
    reason: str | None = None
    genesis: str | None = None
    previous: str | None = None
    base: str | None = None  # the genuine file this one was derived from

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "file": self.file,
            "genesis": self.genesis,
            "previous": self.previous,
            "status": self.status,
            "exit": STATUS_EXIT[self.status],
            "line": self.line,
            "seq": self.seq,
            "reason": self.reason,
            "why": self.why,
            "base": self.base,
        }


def line_of(seq: int) -> int:
    """Entry seq n is on line n + 2 (the manifest is line 1)."""
    return seq + 2


# ---- the cases -----------------------------------------------------------------------------


def build() -> tuple[dict[str, bytes], list[Case]]:
    """Every sample file by name, and the verdict each case must get, in a fixed order."""
    j, earlier, genuine = build_vault()
    other, ghost_vault = build_other_vault(), build_ghost_vault()
    keys = j.keys
    genesis_hash = genuine.unsigned["genesis"]
    files: dict[str, bytes] = {e.file: e.data for e in (genuine, earlier, other)}
    cases: list[Case] = []

    def add(case: Case, data: bytes | None = None) -> None:
        if data is not None:
            assert case.file not in files, case.file
            files[case.file] = data
        cases.append(case)

    def bad(
        case: str,
        line: int,
        seq: int | None,
        reason: str,
        why: str,
        data: bytes | None = None,
        **kw: Any,
    ) -> None:
        """An invalid case; `data` is its own file (derived from earlier.jsonl unless told)."""
        file = kw.pop("file", f"{case}.jsonl")
        base = kw.pop("base", "earlier.jsonl" if data else None)
        add(Case(case, file, "invalid", why, line, seq, reason, base=base, **kw), data)

    def entry(seq: int, actor: str, kind: str, body: Mapping[str, Any], **kw: Any) -> bytes:
        """A well-formed entry at `seq`, chained to the genuine entry seq-1, at the genuine
        time for that seq, signed by the actor's own key unless `signer` says otherwise."""
        signer = kw.pop("signer", None) or keys.get(actor) or seeded_keys(actor)
        ts = kw.pop("ts", j.ts(seq))
        prev = kw.pop("prev", j.entries[seq - 1].leaf_hash.hex())
        return make_entry(VAULT, seq, ts, actor, kind, body, prev, signer).line

    manifest, entries, unsigned = earlier.manifest, earlier.entries, earlier.unsigned

    def replaced(seq: int, *lines: bytes) -> bytes:
        """earlier.jsonl with entry `seq` replaced by `lines`."""
        return file_of([manifest, *entries[:seq], *lines, *entries[seq + 1 :]])

    def inserted(seq: int, *lines: bytes) -> bytes:
        """earlier.jsonl with `lines` inserted before entry `seq` (which follows them)."""
        return file_of([manifest, *entries[:seq], *lines, *entries[seq:]])

    def resealed(**changes: Any) -> bytes:
        """earlier.jsonl with its manifest changed and validly re-signed by the exporter."""
        return file_of([seal({**unsigned, **changes}, keys["alice"]), *entries])

    # -- genuine files and anchors -------------------------------------------------------------
    add(
        Case(
            "genuine-anchored-genesis",
            "genuine.jsonl",
            "verified",
            "The genuine export (18 entries, exported by carol) checked against the genesis "
            "hash recorded when the vault was created.",
            genesis=genesis_hash,
        )
    )
    add(
        Case(
            "genuine-unanchored",
            "genuine.jsonl",
            "unanchored",
            "The same genuine export with no anchor: every check passes, but without --genesis "
            "or --previous a cut-short or wholly re-created journal cannot be ruled out.",
        )
    )
    add(
        Case(
            "genuine-anchored-previous",
            "genuine.jsonl",
            "verified",
            "The genuine export checked against the earlier export of the same vault "
            "(earlier.jsonl): the earlier file's 8 entries are the first 8 of this one.",
            previous="earlier.jsonl",
        )
    )
    add(
        Case(
            "genuine-all-anchors",
            "genuine.jsonl",
            "verified",
            "The genuine export with both anchors: the genesis hash and the earlier export.",
            genesis=genesis_hash,
            previous="earlier.jsonl",
        )
    )
    add(
        Case(
            "earlier-anchored-genesis",
            "earlier.jsonl",
            "verified",
            "The earlier genuine export of the same vault (seq 0-7, exported by alice, whose "
            "journal.export entry is seq 7), checked against the genesis hash. Most tampered "
            "files below are derived from it.",
            genesis=genesis_hash,
        )
    )
    add(
        Case(
            "other-vault-unanchored",
            "other-vault.jsonl",
            "unanchored",
            "A genuine export of another team's vault, where alice is admin with the same "
            "key; used by the splice and wrong-vault cases.",
        )
    )
    bad(
        "older-export-as-newer",
        1,
        None,
        "does not extend the previous export",
        "The earlier export (8 entries) presented as newer than the genuine one (18 entries) "
        "given as --previous: a rollback to an older state.",
        file="earlier.jsonl",
        previous="genuine.jsonl",
    )
    earlier_record = f"{earlier.unsigned['size']}:{earlier.unsigned['root']}"
    genuine_record = f"{genuine.unsigned['size']}:{genuine.unsigned['root']}"
    add(
        Case(
            "genuine-anchored-checkpoint",
            "genuine.jsonl",
            "verified",
            "The genuine export checked against the checkpoint SIZE:ROOT recorded from the "
            "earlier export: the root over its first 8 entries is the recorded root.",
            previous=earlier_record,
        )
    )
    bad(
        "older-export-vs-checkpoint",
        1,
        None,
        "does not extend the previous checkpoint",
        "The earlier export (8 entries) checked against the checkpoint recorded from the "
        "genuine one (18 entries): a rollback to an older state.",
        file="earlier.jsonl",
        previous=genuine_record,
    )
    bad(
        "wrong-genesis-pin",
        2,
        0,
        "genesis hash does not match",
        "The genuine export checked against another vault's genesis hash: seq 0 is not the "
        "genesis the auditor recorded.",
        file="genuine.jsonl",
        genesis=other.unsigned["genesis"],
    )
    bad(
        "previous-from-another-vault",
        1,
        None,
        "another vault",
        "The genuine export with --previous naming a genuine export of a different vault.",
        file="genuine.jsonl",
        previous="other-vault.jsonl",
    )

    # Insider carol cuts the journal after seq 12 and seals a fresh export of what is left.
    fork = Journal(VAULT, START)
    fork.keys, fork.members = keys, j.members
    for kept in j.entries[:13]:
        fork.entries.append(kept)
        fork.frontier.append(kept.leaf_hash)
    fork.export("carol", nonce("resealed export"))
    bad(
        "resealed-truncation-vs-previous",
        line_of(13),
        13,
        "does not extend the previous export (fork)",
        "Insider carol dropped seq 13-17 and sealed a fresh export of what was left (her own "
        "journal.export as seq 13, a new manifest and checkpoint, all validly signed); the "
        "genuine export given as --previous differs from seq 13 on.",
        sealed("resealed-truncation.jsonl", fork, "carol", nonce("resealed export"), TEAM).data,
        file="resealed-truncation.jsonl",
        previous="genuine.jsonl",
        base="genuine.jsonl",
    )
    add(
        Case(
            "resealed-truncation-genesis-only",
            "resealed-truncation.jsonl",
            "verified",
            "KNOWN LIMIT, not caught: the same resealed truncation passes with only the genesis "
            "pin, because every line in it is genuinely signed; only an earlier export or "
            "checkpoint (--previous) reveals the missing entries.",
            genesis=genesis_hash,
            base="genuine.jsonl",
        )
    )

    # -- entries changed, re-signed, removed, reordered -----------------------------------------
    def bob_to_admin(data: dict[str, Any]) -> None:
        data["body"]["member"]["role"] = "admin"

    bad(
        "changed-field-old-signature",
        line_of(1),
        1,
        "signature by alice does not verify",
        "In seq 1 (alice adds bob) bob's role was changed from operator to admin; alice's "
        "original signature was kept.",
        replaced(1, edit_json(entries[1], bob_to_admin)),
    )
    bad(
        "previous-tampered",
        1,
        None,
        "the previous export is invalid",
        "The genuine export with --previous naming a tampered file "
        "(changed-field-old-signature.jsonl): an anchor that does not verify anchors nothing.",
        file="genuine.jsonl",
        previous="changed-field-old-signature.jsonl",
    )
    view = {**REVEAL_1, "how": "view"}
    bad(
        "insider-resigned-as-victim",
        line_of(3),
        3,
        "signature by bob does not verify",
        "Admin alice rewrote bob's seq 3 (his copy of café-payments became a view) and "
        "signed it with her own key, leaving actor bob.",
        replaced(3, entry(3, "bob", "token.reveal", view, signer=keys["alice"])),
    )
    bad(
        "insider-resigned-as-self",
        line_of(4),
        4,
        "prev does not match",
        "Admin alice rewrote bob's seq 3 as her own entry (actor alice, how=view) and signed "
        "it: that line is valid on its own, but seq 4's prev no longer matches it.",
        replaced(3, entry(3, "alice", "token.reveal", view)),
    )
    bad(
        "deleted-entry",
        line_of(3),
        3,
        "seq is 4, expected 3",
        "Entry seq 3 (bob copies café-payments) was deleted; its line now holds seq 4.",
        file_of([manifest, *entries[:3], *entries[4:]]),
    )
    bad(
        "swapped-entries",
        line_of(2),
        2,
        "seq is 3, expected 2",
        "Entries seq 2 and seq 3 were swapped.",
        file_of([manifest, *entries[:2], entries[3], entries[2], *entries[4:]]),
    )
    bad(
        "duplicated-entry",
        line_of(4),
        4,
        "seq is 3, expected 4",
        "Entry seq 3 appears twice in a row; the copy sits where seq 4 belongs.",
        inserted(4, entries[3]),
    )
    bad(
        "tail-truncated-manifest-kept",
        line_of(6),
        6,
        "tail cut off",
        "The last two entries (seq 6-7) were removed and the original manifest (size 8) "
        "kept; reported at the line after the last entry left.",
        file_of([manifest, *entries[:6]]),
    )
    bad(
        "head-truncated",
        line_of(0),
        0,
        "seq is 1, expected 0",
        "The genesis entry (seq 0) was removed; the first entry line holds seq 1.",
        file_of([manifest, *entries[1:]]),
    )
    first, second = json.loads(entries[1]), json.loads(entries[2])
    first["sig"], second["sig"] = second["sig"], first["sig"]
    bad(
        "swapped-signatures",
        line_of(1),
        1,
        "signature by alice does not verify",
        "The signatures of seq 1 (by alice) and seq 2 (by bob) were exchanged: both real "
        "signatures, each over the other entry.",
        file_of(
            [manifest, entries[0], canonical_bytes(first), canonical_bytes(second), *entries[3:]]
        ),
    )

    # -- who may sign --------------------------------------------------------------------------
    bad(
        "non-member-signer",
        line_of(4),
        4,
        "mallory is not an active member",
        "A token.create signed by mallory, who was never added to the vault, inserted as seq "
        "4 (correct seq and prev, valid signature under mallory's own key).",
        inserted(
            4,
            entry(
                4,
                "mallory",
                "token.create",
                token_body({"token": 2, "name": "aws-root"}, "mallory", "aws", ["*"], None),
            ),
        ),
    )
    bad(
        "removed-member-signer",
        line_of(7),
        7,
        "dave is not an active member",
        "A copy of café-payments signed by dave, who was removed at seq 6, inserted as seq 7 "
        "before the export entry (correct seq and prev, valid signature under dave's key).",
        inserted(7, entry(7, "dave", "token.reveal", {**REVEAL_1, "how": "copy"})),
    )
    mallory = seeded_keys("mallory")
    mallory_json = member_json("mallory", Role.ADMIN, "Mallory", mallory)
    mallory_pop = mallory.sign(pop_message(VAULT, mallory_json["ed25519"], mallory_json["x25519"]))
    bad(
        "operator-admin-action",
        line_of(4),
        4,
        "member.add needs an admin",
        "A member.add of mallory as admin, signed by bob, who is only an operator, inserted "
        "as seq 4 (valid signature and proof of possession).",
        inserted(
            4, entry(4, "bob", "member.add", {"member": mallory_json, "pop": mallory_pop.hex()})
        ),
    )
    bad(
        "spliced-from-another-vault",
        line_of(1),
        1,
        "another vault",
        "Seq 1 was replaced by seq 1 of another vault's journal (other-vault.jsonl), "
        "genuinely signed by alice, who is admin in both.",
        replaced(1, other.entries[1]),
    )

    # -- encodings -------------------------------------------------------------------------------
    bad(
        "non-canonical-whitespace",
        line_of(3),
        3,
        "canonical",
        'Seq 3 re-encoded with a space after every ":" and ","; JSON-equal (the signature '
        "still verifies over the parsed value), but not the signed and hashed bytes.",
        replaced(3, json.dumps(json.loads(entries[3]), ensure_ascii=False).encode()),
    )
    bad(
        "non-canonical-unicode-escape",
        line_of(2),
        2,
        "canonical",
        'Seq 2 (token "café-payments") re-encoded with the escape \\u00e9 for "é"; '
        "JSON-equal, but RFC 8785 writes the character itself in UTF-8.",
        replaced(2, json.dumps(json.loads(entries[2]), separators=(",", ":")).encode()),
    )
    bad(
        "non-canonical-manifest",
        1,
        None,
        "canonical",
        "The manifest re-encoded with spaces; JSON-equal and its signature would verify over "
        "the parsed value, but the manifest line must be canonical too.",
        file_of([json.dumps(json.loads(manifest), ensure_ascii=False).encode(), *entries]),
    )
    nfd_name = {"token": 2, "name": "cafe\u0301-payments"}
    bad(
        "nfd-lookalike-name",
        line_of(4),
        4,
        "not NFC",
        'A token.create by bob named "café-payments" in NFD ("e" + U+0301), a look-alike of '
        "token 1's NFC name that a byte comparison would not see as a duplicate, inserted as "
        "seq 4 and validly signed; strings must be NFC.",
        inserted(
            4,
            raw_entry_line(
                {
                    "v": 1,
                    "vault": VAULT,
                    "seq": 4,
                    "ts": j.ts(4),
                    "actor": "bob",
                    "type": "token.create",
                    "body": token_body(nfd_name, "bob", "stripe", ["charges:write"], None),
                    "prev": j.entries[3].leaf_hash.hex(),
                },
                keys["bob"],
            ),
        ),
    )
    bad(
        "timestamp-backwards",
        line_of(4),
        4,
        "timestamp is earlier",
        "Seq 4 (alice adds dave) re-signed by alice with a ts one hour before seq 3's.",
        replaced(
            4,
            entry(
                4,
                "alice",
                "member.add",
                json.loads(entries[4])["body"],
                ts=format_ts(START + 3 * STEP - timedelta(hours=1)),
            ),
        ),
    )
    bad(
        "duplicate-json-keys",
        line_of(3),
        3,
        "duplicate key",
        'Seq 3 has "how" twice, "view" then "copy": a last-wins parser reads the signed value '
        'and the signature verifies, while a first-wins reader shows "view".',
        replaced(3, replace_once(entries[3], b'"how":"copy"', b'"how":"view","how":"copy"')),
    )
    bad(
        "duplicate-json-keys-manifest",
        1,
        None,
        "duplicate key",
        'The manifest has "exported_by" twice, "bob" then "alice" (the signed value).',
        file_of(
            [
                replace_once(
                    manifest, b'"exported_by":"alice"', b'"exported_by":"bob","exported_by":"alice"'
                ),
                *entries,
            ]
        ),
    )
    bad(
        "float-number",
        line_of(6),
        6,
        "floats are not allowed",
        'In seq 6 (alice removes dave) "epoch":2 was written "epoch":2.0: equal as a number, '
        "but floats are not allowed.",
        replaced(6, replace_once(entries[6], b'"epoch":2', b'"epoch":2.0')),
    )
    bad(
        "crlf-line-endings",
        1,
        None,
        "canonical",
        "Every line ends in CR LF instead of LF (as a Windows editor might save it); the "
        "manifest line is the first with a stray CR.",
        earlier.data.replace(b"\n", b"\r\n"),
    )
    bad(
        "crlf-one-entry",
        line_of(3),
        3,
        "canonical",
        "Only the line of seq 3 ends in CR LF.",
        replaced(3, entries[3] + b"\r"),
    )

    # -- keys ------------------------------------------------------------------------------------
    ghost = Ghost("ghost")
    ghost_json = member_json("ghost", Role.ADMIN, "Ghost", ghost)
    ghost_add = entry(
        4, "alice", "member.add", {"member": ghost_json, "pop": UNIVERSAL_FORGERY.hex()}
    )
    ghost_copy = entry(
        5,
        "ghost",
        "token.reveal",
        {**REVEAL_1, "how": "copy"},
        signer=ghost,
        prev=hash_leaf(ghost_add).hex(),
    )
    bad(
        "small-order-member-key",
        line_of(4),
        4,
        "Ed25519 key is not a valid public key",
        "Inserted as seq 4: admin alice adds ghost, whose Ed25519 key is the identity point "
        "0100…00 (small order), with the universal forgery R=identity, S=0 as pop; then seq 5, "
        "a copy by ghost with the same forgery. Ed25519 verification without a point check "
        "(OpenSSL, Go's crypto/ed25519) accepts both signatures.",
        inserted(4, ghost_add, ghost_copy),
    )
    frank = seeded_keys("frank")
    frank_json = {**member_json("frank", Role.OPERATOR, "Frank", frank), "x25519": "00" * 32}
    frank_pop = frank.sign(pop_message(VAULT, frank_json["ed25519"], frank_json["x25519"]))
    bad(
        "low-order-x25519-member-key",
        line_of(4),
        4,
        "X25519 key is not a valid public key",
        "Inserted as seq 4: admin alice adds frank with a valid Ed25519 key and pop but the "
        "all-zero X25519 key, a low-order point (anything sealed to it is readable by anyone).",
        inserted(
            4, entry(4, "alice", "member.add", {"member": frank_json, "pop": frank_pop.hex()})
        ),
    )
    bad(
        "small-order-genesis-key",
        line_of(0),
        0,
        "Ed25519 key is not a valid public key",
        "A whole fake vault whose genesis member ghost has the identity point as Ed25519 key; "
        "every signature (entries, checkpoint, manifest) is the universal forgery R=identity, "
        "S=0, which Ed25519 verification without a point check accepts.",
        ghost_vault.data,
        base=None,
    )

    # -- the manifest ----------------------------------------------------------------------------
    size, root = unsigned["size"], bytes.fromhex(unsigned["root"])
    fake_root = hashlib.sha256(b"not the root").digest()
    bad(
        "checkpoint-root-resigned",
        1,
        None,
        "manifest checkpoint: size or root does not match",
        "The checkpoint note's root was replaced and the note re-signed by alice, then the "
        "manifest re-signed by alice: a member's signatures, but not over the entries' root.",
        resealed(checkpoint=note_lines(VAULT, size, fake_root, "alice", keys["alice"])),
    )
    bad(
        "manifest-altered-without-key",
        1,
        None,
        "exporter's signature does not verify",
        "The manifest's exported_at was moved a month later; its signature was kept.",
        file_of([keeping_sig(manifest, exported_at="2026-04-08T00:00:00.000Z"), *entries]),
    )
    bad(
        "manifest-size-altered-without-key",
        1,
        None,
        "exporter's signature does not verify",
        "The manifest's size was raised from 8 to 9 without re-signing: the manifest is the "
        "bad line, no entry is missing.",
        file_of([keeping_sig(manifest, size=9), *entries]),
    )
    sha1 = {**unsigned["algorithms"], "hash": "sha1"}
    bad(
        "algorithm-downgrade",
        1,
        None,
        "algorithms",
        'The manifest\'s algorithms.hash changed from "sha256" to "sha1"; signature kept.',
        file_of([keeping_sig(manifest, algorithms=sha1), *entries]),
    )
    bad(
        "algorithm-downgrade-resigned",
        1,
        None,
        "algorithms",
        'algorithms.hash "sha1" with the manifest validly re-signed by the exporter alice: '
        "other algorithms are refused whoever signs them (no negotiation).",
        resealed(algorithms=sha1),
    )
    bad(
        "manifest-members-resigned",
        1,
        None,
        "members differ",
        "The exporter alice left removed member dave out of the manifest's members and "
        "re-signed it; the list must equal the replayed membership.",
        resealed(members=[m for m in unsigned["members"] if m["id"] != "dave"]),
    )
    bad(
        "manifest-root-resigned",
        1,
        None,
        "root does not match",
        "The manifest's root was replaced and the manifest re-signed by alice (the checkpoint "
        "note left as it was).",
        resealed(root=fake_root.hex()),
    )
    bad(
        "manifest-nonce-not-journaled",
        1,
        None,
        "the last entry is not the journal.export with the manifest's nonce",
        "The manifest's nonce was replaced by one that no journal.export entry carries and "
        "the manifest re-signed by alice: an export that was never journaled.",
        resealed(nonce=nonce("never journaled")),
    )
    before_carol_export = [e.line for e in j.entries[:17]]
    later_root = Frontier.of([hash_leaf(line) for line in before_carol_export]).root()
    bad(
        "manifest-reuses-older-nonce",
        1,
        None,
        "the last entry is not the journal.export with the manifest's nonce",
        "alice sealed a later state (entries 0-16, everything before carol's export) with the "
        "nonce of her own earlier journal.export (seq 7), so this export was never journaled; "
        "the last entry must be the exporter's journal.export carrying the nonce.",
        file_of(
            [
                seal(
                    {
                        **genuine.unsigned,
                        "exported_by": "alice",
                        "nonce": unsigned["nonce"],
                        "size": 17,
                        "root": later_root.hex(),
                        "checkpoint": note_lines(VAULT, 17, later_root, "alice", keys["alice"]),
                    },
                    keys["alice"],
                ),
                *before_carol_export,
            ]
        ),
        base="genuine.jsonl",
    )
    bad(
        "manifest-exported-before-its-entry",
        1,
        None,
        "exported_at is earlier than the export entry",
        "The manifest's exported_at was set to 2020, before the export entry it seals, and "
        "the manifest re-signed by alice.",
        resealed(exported_at="2020-01-01T00:00:00.000Z"),
    )
    bad(
        "manifest-export-entry-by-another",
        1,
        None,
        "the export entry is by another member",
        "bob sealed the file himself (manifest and checkpoint signed by bob, exported_by bob) "
        "reusing the nonce of alice's journal.export entry (seq 7).",
        file_of(
            [
                seal(
                    {
                        **unsigned,
                        "exported_by": "bob",
                        "checkpoint": note_lines(VAULT, size, root, "bob", keys["bob"]),
                    },
                    keys["bob"],
                ),
                *entries,
            ]
        ),
    )
    bad(
        "manifest-by-removed-member",
        1,
        None,
        "exporter is not an active member",
        "The manifest names dave (removed at seq 6) as exporter and is signed with dave's key.",
        file_of([seal({**unsigned, "exported_by": "dave"}, keys["dave"]), *entries]),
    )

    # -- the file's shape -------------------------------------------------------------------------
    bad(
        "entry-beyond-manifest-size",
        line_of(8),
        8,
        "entry beyond the manifest's size",
        "A validly signed and chained entry (seq 8, bob copies café-payments) appended after "
        "the export; the manifest (size 8) was kept.",
        file_of(
            [
                manifest,
                *entries,
                entry(8, "bob", "token.reveal", {**REVEAL_1, "how": "copy"}),
            ]
        ),
    )
    bad(
        "last-line-without-newline",
        line_of(7),
        7,
        "newline",
        "The final newline was removed (as if the file was cut inside its last line).",
        earlier.data[:-1],
    )
    bad(
        "export-entry-wrong-root",
        line_of(4),
        4,
        "journal.export: size and root",
        "A journal.export by bob whose root is not the root of seq 0-3, inserted as seq 4 "
        "(validly signed).",
        inserted(
            4,
            entry(
                4,
                "bob",
                "journal.export",
                {"nonce": nonce("bad root"), "size": 4, "root": fake_root.hex()},
            ),
        ),
    )
    bad("empty-file", 1, None, "empty", "A zero-byte file.", b"", base=None)
    bad(
        "manifest-only",
        2,
        0,
        "no entries",
        "The genuine manifest line alone: every entry removed.",
        file_of([manifest]),
    )
    return files, cases


def expected_json(cases: list[Case]) -> bytes:
    """One case per line, so a diff shows which verdict changed."""
    rows = ",\n".join(json.dumps(c.to_json(), ensure_ascii=False) for c in cases)
    return f"[\n{rows}\n]\n".encode()


def outputs() -> dict[str, bytes]:
    """Every file under tests/vectors/exports/, by name."""
    files, cases = build()
    return {**files, "expected.json": expected_json(cases)}


if __name__ == "__main__":
    EXPORTS.mkdir(exist_ok=True)
    wanted = outputs()
    for stale in EXPORTS.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    for name, data in sorted(wanted.items()):
        (EXPORTS / name).write_bytes(data)
    total = sum(len(data) for data in wanted.values())
    print(f"wrote {len(wanted)} files ({total} bytes) to {EXPORTS}")
