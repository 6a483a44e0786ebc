"""The `meta` table: vault identity, epoch, key-file generation, fingerprint key, policy."""

from __future__ import annotations

import json

from tokenvault.domain.errors import IntegrityError
from tokenvault.domain.policy import Policy
from tokenvault.storage.db import Database


def get(db: Database, key: str) -> str:
    row = db.query_one("SELECT value FROM meta WHERE key = ?", (key,))
    if row is None:
        raise IntegrityError(f"{db.path.name}: vault metadata '{key}' is missing")
    return str(row[0])


def put(db: Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def get_int(db: Database, key: str) -> int:
    value = get(db, key)
    if not value.isdigit():
        raise IntegrityError(f"{db.path.name}: vault metadata '{key}' is not a number")
    return int(value)


def get_policy(db: Database) -> Policy:
    try:
        return Policy.from_json(json.loads(get(db, "policy")))
    except (ValueError, TypeError) as exc:
        raise IntegrityError(f"{db.path.name}: stored policy is unreadable ({exc})") from None


def put_policy(db: Database, policy: Policy) -> None:
    put(db, "policy", json.dumps(policy.to_json(), sort_keys=True))
