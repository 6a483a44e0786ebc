"""Shared by the benchmark scripts: the cached vaults of N tokens (`tokenvault-bench-N` under the
temp directory), built once through the real services and reused by every run.

Each vault holds N tokens added by `tokens.add_many` in batches of 10,000 (realistic names,
services, owners, scopes, consumers and tags; expiries and rotations spread around now), one in
100 then revoked, with Argon2id at the floor. Its journal: genesis, the recovery member, N
token.create and N/100 token.revoke entries. 100,000 tokens take about 90 s to build.
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from tokenvault import services
from tokenvault.crypto import kdf
from tokenvault.domain.model import Secret
from tokenvault.services import Session, TokenDraft

PASSPHRASE = "benchmark passphrase"
MEMBER = "ops"
BATCH = 10_000
REVOKED_SHARE = 100  # one token in this many is revoked

_SERVICES = (
    "github", "gitlab", "aws", "gcp", "azure", "stripe", "twilio", "sendgrid", "datadog",
    "pagerduty", "slack", "cloudflare", "npm", "pypi", "dockerhub", "sentry", "openai", "okta",
)  # fmt: skip
_ENVS = ("prod", "staging", "dev", "ci", "sandbox")
_OWNERS = (
    "platform", "payments", "growth", "data", "security", "infra", "mobile", "web", "sre", "ml",
)  # fmt: skip
_PURPOSES = (
    "deploy", "ci", "backup", "webhook", "readonly", "admin", "billing", "metrics", "alerts",
    "sync", "export", "import", "release", "oncall",
)  # fmt: skip
_SCOPES = (
    "repo", "read:org", "write:packages", "s3:GetObject", "s3:PutObject", "charges:write",
    "customers:read", "messages:send", "metrics:read", "incidents:write", "chat:write",
    "dns:edit", "publish", "admin", "read", "write",
)  # fmt: skip
_USERS = (
    "api-gateway", "billing-worker", "ci-runner", "etl-nightly", "frontend", "mobile-backend",
    "terraform", "grafana", "alertmanager", "backup-cron",
)  # fmt: skip
_TAGS = ("pci", "sox", "customer-facing", "legacy", "terraform", "manual", "shared")


def bench_root(n: int) -> Path:
    return Path(tempfile.gettempdir()) / f"tokenvault-bench-{n}"


def _draft(rng: random.Random, i: int, now: datetime) -> TokenDraft:
    service, env, purpose = rng.choice(_SERVICES), rng.choice(_ENVS), rng.choice(_PURPOSES)
    expires = None if rng.random() < 0.3 else now + timedelta(days=rng.uniform(-60, 400))
    return TokenDraft(
        name=f"{service}-{env}-{purpose}-{i:06d}",
        owner=rng.choice(_OWNERS),
        service=service,
        environment=env,
        scopes=rng.sample(_SCOPES, rng.randint(1, 3)),
        used_by=rng.sample(_USERS, rng.randint(0, 2)),
        tags=rng.sample(_TAGS, rng.randint(0, 2)),
        expires_at=expires,
        rotate_every_days=None if rng.random() < 0.7 else rng.choice((30, 60, 90, 180)),
        last_rotated_at=now - timedelta(days=rng.uniform(0, 120)),
    )


def build_vault(n: int) -> Path:
    """The cached vault of `n` tokens (built on first use; a half-built one is rebuilt)."""
    root = bench_root(n)
    vault, done = root / "vault", root / "complete"
    if done.exists():
        return vault
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(mode=0o700)
    services.create_vault(
        vault, name=f"bench {n}", member_id=MEMBER, passphrase=Secret(PASSPHRASE),
        kdf=kdf.FLOOR, state_dir=root / "state",
    )  # fmt: skip
    session = unlock(n)
    rng = random.Random(n)
    now = session.clock()
    try:
        for start in range(0, n, BATCH):
            items = [
                (_draft(rng, i, now), Secret(f"bench_{i:06d}_{rng.getrandbits(128):032x}"))
                for i in range(start, min(n, start + BATCH))
            ]
            made = services.tokens.add_many(session, items, source="bench")
            for token in made[::REVOKED_SHARE]:
                services.tokens.revoke(session, token.name, "decommissioned")
            print(f"  built {start + len(items)}/{n}", file=sys.stderr)
    finally:
        session.lock()
    done.write_text(f"{n}\n")
    return vault


def unlock(n: int, root: Path | None = None) -> Session:
    """A session on the cached vault of `n` tokens, or on a copy of it under `root` (a
    directory holding the copied `vault` and `state`)."""
    root = root or bench_root(n)
    return services.unlock(root / "vault", MEMBER, Secret(PASSPHRASE), state_dir=root / "state")


def kdf_seconds() -> float:
    """Argon2id at the floor alone (median of 3): the part of unlock the targets leave out."""
    samples = []
    for _ in range(3):
        start = time.perf_counter()
        kdf.derive_kek(Secret(PASSPHRASE), b"\0" * 16, kdf.FLOOR)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
