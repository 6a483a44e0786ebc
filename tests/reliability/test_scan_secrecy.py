"""No scan or import output, journal entry or baseline ever contains a secret (issue 7).

Hypothesis plants random vault secrets (current and retired versions) and random
credential-shaped strings in random files around random filler, runs the real scan (leaks and
detect-secrets shadow tokens) with --write-baseline, the real scanner-report import, and the
CLI's own renderers, then searches everything a person or a script could see — the table rows,
the JSON, the skipped lists, the baseline file, every journal line written — for every planted
secret, raw, hex and base64.
"""

from __future__ import annotations

import itertools
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability._tamper_support import leaks
from tokenvault import services
from tokenvault.cli import imports as imports_cli
from tokenvault.cli import scan as scan_cli
from tokenvault.domain.errors import ValidationError
from tokenvault.domain.model import Secret
from tokenvault.domain.scanreport import baseline_bytes
from tokenvault.services import Session, TokenDraft
from tokenvault.services.imports import import_file
from tokenvault.services.scan import scan

_names = itertools.count()
# Secrets long enough to search (8+) and unlike anything the output is made of: a marker
# prefix, then random text that may hold quotes, backslashes, `«»`, spaces or non-ASCII.
_SECRET_TAIL = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
    min_size=8,
    max_size=40,
)
vault_secret = _SECRET_TAIL.map(lambda tail: "Vq7" + tail.replace("\n", ""))
shadow_secret = st.one_of(
    st.text(string.ascii_uppercase + string.digits, min_size=16, max_size=16).map(
        lambda s: "AKIA" + s
    ),
    st.text(string.ascii_letters + string.digits, min_size=36, max_size=36).map(
        lambda s: "ghp_" + s
    ),
    st.text(string.ascii_lowercase + string.digits, min_size=24, max_size=24).map(
        lambda s: "xoxb-1234567890-" + s
    ),
)
filler = st.text(alphabet=string.printable, max_size=60)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def journal_since(session: Session, seq: int) -> bytes:
    entries = services.journal.recent(session, limit=10**6)
    return b"\n".join(e.line_bytes for e in entries if e.seq >= seq)


def assert_nothing_leaks(planted: list[str], outputs: dict[str, bytes]) -> None:
    needles = {f"secret {i}": s.encode() for i, s in enumerate(planted)}
    found = [hit for where, blob in outputs.items() for hit in leaks(blob, needles, where)]
    assert found == []


@SETTINGS
@given(
    current=st.lists(vault_secret, min_size=1, max_size=3, unique=True),
    retired=vault_secret,
    shadows=st.lists(shadow_secret, max_size=3, unique=True),
    layout=st.lists(st.tuples(filler, st.integers(0, 6), filler), min_size=1, max_size=8),
)
def test_no_scan_output_journal_entry_or_baseline_holds_a_secret(
    session: Session,
    tmp_path_factory: pytest.TempPathFactory,
    current: list[str],
    retired: str,
    shadows: list[str],
    layout: list[tuple[str, int, str]],
) -> None:
    if retired in current:
        return
    names = [f"tok-{next(_names)}" for _ in current]
    services.tokens.add(session, TokenDraft(name=names[0], owner="alice"), Secret(retired))
    services.tokens.rotate(session, names[0], Secret(current[0]))
    for name, value in zip(names[1:], current[1:], strict=True):
        services.tokens.add(session, TokenDraft(name=name, owner="alice"), Secret(value))
    planted = [*current, retired, *shadows]
    root = tmp_path_factory.mktemp("tree")
    for number, (before, which, after) in enumerate(layout):
        value = planted[which % len(planted)]
        (root / f"f{number}.env").write_text(f"{before}KEY={value} {value}\n{after}\n")
    start = services.journal.recent(session, limit=1)[0].seq + 1

    result = scan(session, [str(root)], accept_reason="hypothesis")
    assert result.baseline is not None
    table_rows = "\n".join(" | ".join(scan_cli._row(f)) for f in result.findings)
    report = {
        "scan --json": json.dumps(scan_cli._json(result, None)).encode(),
        "scan table": table_rows.encode(),
        "scan summary": scan_cli._summary(result).encode(),
        "finding reprs": repr(result.findings).encode(),
        "baseline": baseline_bytes(result.baseline),
        "journal": journal_since(session, start),
    }
    assert_nothing_leaks(planted, report)
    assert {f.kind for f in result.findings} <= {"leak", "shadow"}


@SETTINGS
@given(
    known=vault_secret,
    unknown=st.lists(st.one_of(vault_secret, shadow_secret), min_size=1, max_size=3, unique=True),
    paths=st.lists(filler.filter(lambda p: p.strip() != ""), min_size=1, max_size=3),
)
def test_no_report_import_output_or_journal_entry_holds_a_secret(
    session: Session,
    tmp_path_factory: pytest.TempPathFactory,
    known: str,
    unknown: list[str],
    paths: list[str],
) -> None:
    # The vault persists across examples: a suffix keeps this example's secrets its own.
    n = next(_names)
    known, unknown = f"{known}#{n}", [f"{value}#{n}" for value in unknown]
    if known in unknown:
        return
    name = f"tok-{n}"
    services.tokens.add(session, TokenDraft(name=name, owner="a"), Secret(known))
    findings = [
        {"RuleID": "generic-api-key", "File": paths[i % len(paths)], "StartLine": i + 1,
         "Secret": value, "Match": f"key = {value}"}
        for i, value in enumerate([known, *unknown])
    ]  # fmt: skip
    report = tmp_path_factory.mktemp("report") / "leaks.json"
    report.write_text(json.dumps(findings, ensure_ascii=False))
    start = services.journal.recent(session, limit=1)[0].seq + 1
    try:
        result = import_file(session, report, "gitleaks-json")
    except ValidationError as exc:  # e.g. a path with a control character
        assert_nothing_leaks([known, *unknown], {"error": str(exc).encode()})
        return
    outputs = {
        "import output": "\n".join(imports_cli.report_lines(result)).encode(),
        "import result": repr(result).encode(),
        "journal": journal_since(session, start),
    }
    assert_nothing_leaks([known, *unknown], outputs)
    assert [leak.token for leak in result.leaks if leak.line == 1] == [name]
