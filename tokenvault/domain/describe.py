"""One-line, human descriptions of journal entries (`journal ls`, the TUI's journal screen).

Display only: nothing here is hashed or verified, so wording may change freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenvault.domain.journal import Entry


def subject(entry: Entry) -> str:
    """What the entry is about: a token name, a member id, the policy or the vault."""
    body = entry.body
    if entry.type.startswith("token."):
        return str(body["name"])
    if entry.type in ("member.add", "vault.genesis"):
        member = body["member"]
        return str(member["id"]) if entry.type == "member.add" else str(body["vault_name"])
    if entry.type in ("member.remove", "member.passphrase", "unlock.failed"):
        return str(body["member"])
    if entry.type == "policy.update":
        return "policy"
    if entry.type == "import":
        return str(body["file"])
    if entry.type == "scan":
        return ", ".join(body["paths"])
    return ""


def _changes(changes: Mapping[str, Any]) -> str:
    parts = []
    for key, change in changes.items():
        parts.append(f"{key}: {_short(change['before'])} → {_short(change['after'])}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _scan_summary(body: Mapping[str, Any]) -> str:
    what = "scanned" if body["source"] == "scan" else f"read {body['source']} report"
    files = f" {body['files']} files:" if body["source"] == "scan" else ":"
    found = f"{body['leaks']} leak(s) of {len(body['leaked'])} version(s), {body['shadow']} shadow"
    accepted = f", {body['baselined']} baselined" if body["baselined"] else ""
    return f"{what}{files} {found}{accepted}"


def summary(entry: Entry) -> str:
    body = entry.body
    match entry.type:
        case "vault.genesis":
            return f"vault created by {body['member']['id']}"
        case "member.add":
            return f"added as {body['member']['role']}"
        case "member.remove":
            return f"removed; data key re-keyed (epoch {body['epoch']})"
        case "member.passphrase":
            return "passphrase changed"
        case "token.create":
            source = f" from {body['source']}" if body["source"] else ""
            return f"created v1, owner {body['owner'] or 'none'}{source}"
        case "token.update":
            return _changes(body["changes"])
        case "token.rotate":
            return f"rotated v{body['retired']['version']} → v{body['version']}"
        case "token.revoke":
            ticket = f" ({body['ticket']})" if body["ticket"] else ""
            return f"revoked: {body['reason']}{ticket}"
        case "token.reveal":
            verb = "copied" if body["how"] == "copy" else "revealed"
            return f"{verb} v{body['version']}"
        case "token.review":
            return "reviewed" + (f": {_short(body['note'])}" if body["note"] else "")
        case "token.destroy":
            return "destroyed secret(s) v" + ", v".join(str(v) for v in body["versions"])
        case "policy.update":
            return _changes(body["changes"])
        case "unlock.failed":
            return f"{body['count']} failed unlock(s) {body['first']} … {body['last']}"
        case "journal.export":
            # the export file holds the entries before this one and this one
            return f"exported {body['size'] + 1} entries (nonce {body['nonce'][:8]}…)"
        case "import":
            skipped = f", {len(body['skipped'])} already in the vault" if body["skipped"] else ""
            return f"imported {len(body['tokens'])} ({body['format']}){skipped}"
        case "scan":
            return _scan_summary(body)
    return entry.type
