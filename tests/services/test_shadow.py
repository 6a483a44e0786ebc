"""Shadow-token detection (services/shadow.py) against the real detect-secrets.

Every credential-shaped value is built at run time from pieces and a seeded generator, so this
file holds no string that a scanner (ours included) would flag.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Generator

import pytest
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
from detect_secrets.settings import get_settings

from tokenvault.domain.errors import OperationalError
from tokenvault.domain.leaks import ShadowHit, VaultSecret
from tokenvault.domain.model import Secret
from tokenvault.services.leakscan import LeakScanner
from tokenvault.services.shadow import WINDOW, ShadowDetector

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
rng = random.Random(20261125)


def pick(alphabet: str, size: int) -> str:
    return "".join(rng.choices(alphabet, k=size))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


AWS_ID = "AK" + "IA" + pick(UPPER_DIGITS, 16)
GITHUB = "gh" + "p_" + pick(ALNUM, 36)
GITHUB_2 = "gh" + "o_" + pick(ALNUM, 36)
GITLAB = "gl" + "pat-" + pick(ALNUM, 20)
SLACK = "xo" + "xb-" + pick(string.digits, 12) + "-" + pick(string.digits, 13) + "-"
SLACK += pick(string.ascii_lowercase + string.digits, 24)
STRIPE = "sk" + "_live_" + pick(ALNUM, 24)
JWT = ".".join(
    (
        b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()),
        b64url(json.dumps({"sub": "ci-bot", "iat": 1764000000}).encode()),
        b64url(rng.randbytes(32)),
    )
)
KEY_HEADER = "BEGIN " + "RSA " + "PRIVATE KEY"
HEX = pick("0123456789abcdef", 40)
BASE64 = pick(ALNUM + "+/", 40)

PROSE = """\
# Deploying the billing service

Rotate the token every ninety days; the vault reminds the owner. The staging cluster runs
in eu-west-1 with three replicas, and the health check answers on /healthz.
"""

CODE = """\
import os
from pathlib import Path

DEFAULT_TIMEOUT = 30
REGION = "eu-west-1"
BASE_URL = "https://api.example.com/v2/items"
request_id = "3f2a9c1e-55b0-4c1d-9e2f-7a6b5c4d3e2f"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def token_path(name: str) -> Path:
    return Path(os.environ.get("TOKEN_DIR", "/var/lib/tokens")) / f"{name}.json"
"""


@pytest.fixture(scope="module")
def detector() -> ShadowDetector:
    return ShadowDetector()


@pytest.fixture(scope="module")
def with_keywords() -> ShadowDetector:
    return ShadowDetector(keywords=True)


def planted(line: str) -> str:
    """Prose, then code, then the line: the line is line 17."""
    return PROSE + "\n" + CODE + line + "\n"


PLANTED_LINE = (PROSE + "\n" + CODE).count("\n") + 1

# (case, line before the value, value, line after it, detector)
KINDS = [
    ("aws", "export AWS_ACCESS_KEY_ID=", AWS_ID, "", "AWS Access Key"),
    ("github", "  github: ", GITHUB, "  # ci", "GitHub Token"),
    ("gitlab", "GITLAB=", GITLAB, "", "GitLab Token"),
    ("slack", "curl -d @- ", SLACK, " https://hooks.example.com", "Slack Token"),
    ("stripe", "stripe.api_key = ", STRIPE, "", "Stripe Access Key"),
    ("jwt", "Authorization: Bearer ", JWT, "", "JSON Web Token"),
    ("private-key", "-----", KEY_HEADER, "-----", "Private Key"),
    ("hex", "checksum = '", HEX, "'", "Hex High Entropy String"),
    ("base64", 'blob = "', BASE64, '"', "Base64 High Entropy String"),
]


@pytest.mark.parametrize(("before", "value", "after", "name"), [k[1:] for k in KINDS],
                         ids=[k[0] for k in KINDS])  # fmt: skip
def test_each_kind_is_found_with_its_detector_line_and_column(
    detector: ShadowDetector, before: str, value: str, after: str, name: str
) -> None:
    hits = detector.scan_text("deploy/app.env", planted(before + value + after))
    assert [(h.detector, h.line, h.column) for h in hits] == [(name, PLANTED_LINE, len(before) + 1)]
    assert hits[0].secret.expose_text() == value
    assert hits[0].path == "deploy/app.env"


def test_the_value_is_the_whole_token_not_the_pattern_prefix(detector: ShadowDetector) -> None:
    # detect-secrets 1.5 reports only the capture group ("ghp", "glpat"): issue #858.
    (github,) = detector.scan_text("a.sh", f"GH={GITHUB}\n")
    (gitlab,) = detector.scan_text("a.sh", f"GL={GITLAB}\n")
    assert github.secret.expose_text() == GITHUB
    assert gitlab.secret.expose_text() == GITLAB
    assert "«GitHub Token»" in github.preview
    assert GITHUB[4:] not in github.preview


def test_a_group_in_context_is_the_value(detector: ShadowDetector) -> None:
    password = pick(string.ascii_lowercase, 6) + pick(string.digits, 4)
    (hit,) = detector.scan_text("a.cfg", f"url = https://deploy:{password}@git.example.com/x\n")
    assert hit.detector == "Basic Auth Credentials"
    assert hit.secret.expose_text() == password
    assert hit.column == len("url = https://deploy:") + 1
    assert hit.preview == "url = https://deploy:«Basic Auth Credentials»@git.example.com/x"


def test_prose_and_ordinary_code_give_no_hits(detector: ShadowDetector) -> None:
    assert detector.scan_text("README.md", PROSE) == []
    assert detector.scan_text("app/paths.py", CODE) == []
    assert detector.scan_text("docs/run.md", PROSE + CODE) == []


@pytest.mark.parametrize(
    "line",
    [
        "GITHUB_TOKEN=${TOKEN}",
        'api_key = "${TOKEN}"',
        'api_key = "<your-key-here>"',
        "password: '{password}'",
        'secret = "$SECRET_FROM_ENV"',
    ],
)
def test_template_placeholders_give_no_hits(
    detector: ShadowDetector, with_keywords: ShadowDetector, line: str
) -> None:
    assert detector.scan_text("settings.py", line + "\n") == []
    # The keyword detector would flag the assignment; the template filters drop the value.
    assert with_keywords.scan_text("settings.py", line + "\n") == []


def test_keyword_assignments_only_when_asked(
    detector: ShadowDetector, with_keywords: ShadowDetector
) -> None:
    word = pick(string.ascii_lowercase, 10)
    text = f'db_password = "{word}"\n'
    assert detector.scan_text("settings.py", text) == []
    (hit,) = with_keywords.scan_text("settings.py", text)
    assert (hit.detector, hit.column) == ("Secret Keyword", len('db_password = "') + 1)
    assert "Secret Keyword" not in detector.detectors
    assert "Secret Keyword" in with_keywords.detectors


def all_kinds_text() -> str:
    return "\n".join(before + value + after for _, before, value, after, _ in KINDS) + "\n"


def test_no_secret_in_any_preview_repr_or_str(detector: ShadowDetector) -> None:
    hits = detector.scan_text("all.env", all_kinds_text())
    assert len(hits) == len(KINDS)
    for hit in hits:
        value = hit.secret.expose_text()
        for shown in (hit.preview, repr(hit), str(hit), repr(hit.secret)):
            assert value not in shown
        assert f"«{hit.detector}»" in hit.preview
        assert "secret=" not in repr(hit)


def test_a_value_two_detectors_flag_is_one_hit_under_the_specific_name(
    detector: ShadowDetector,
) -> None:
    line = f'token = "{GITHUB}"'
    # Both detectors really flag it (checked on the plugins themselves) …
    assert {s.secret_value for s in Base64HighEntropyString().analyze_line("a.py", line)} == {
        GITHUB
    }
    assert GitHubTokenDetector().analyze_line("a.py", line)
    # … and the scan reports it once, under the pattern detector's name.
    hits = detector.scan_text("a.py", line + "\n")
    assert [(h.detector, h.column) for h in hits] == [("GitHub Token", len('token = "') + 1)]


def test_one_hit_per_value_per_line_at_its_first_occurrence(detector: ShadowDetector) -> None:
    line = f"a={GITHUB} b={GITHUB_2} c={GITHUB}"
    hits = detector.scan_text("x.sh", line + "\n" + line + "\n")
    assert [(h.line, h.column) for h in hits] == [
        (1, 3),
        (1, 3 + len(GITHUB) + 3),
        (2, 3),
        (2, 3 + len(GITHUB) + 3),
    ]
    assert {h.secret.expose_text() for h in hits} == {GITHUB, GITHUB_2}
    assert hits[0].preview == "a=«GitHub Token» b=«GitHub Token» c=«GitHub Token»"


def test_a_preview_hides_values_flagged_on_other_lines(detector: ShadowDetector) -> None:
    # Line 1's quoted entropy value shows up bare on line 2 (no quotes: not flagged there),
    # next to a token that is flagged there.
    text = f'blob = "{BASE64}"\nnext {GITHUB} after {BASE64}\n'
    hits = detector.scan_text("x.txt", text)
    assert [(h.line, h.detector) for h in hits] == [
        (1, "Base64 High Entropy String"),
        (2, "GitHub Token"),
    ]
    assert hits[1].preview == "next «GitHub Token» after «Base64 High Entropy String»"


def test_crlf_lines(detector: ShadowDetector) -> None:
    (hit,) = detector.scan_text("win.env", f"A=1\r\nSTRIPE={STRIPE}\r\nB=2\r\n")
    assert (hit.line, hit.column, hit.preview) == (2, 8, "STRIPE=«Stripe Access Key»")


def test_detect_secrets_file_and_line_filters_apply(detector: ShadowDetector) -> None:
    assert detector.scan_text("web/package-lock.json", f'"x": "{GITHUB}"\n') == []
    assert detector.scan_text("a.py", f"GH = '{GITHUB}'  # pragma: allowlist secret\n") == []
    assert detector.scan_text("a.py", f"user_id = '{BASE64}'\n") == []  # is_likely_id_string


def long_line(size: int, at: int, value: str) -> str:
    filler = pick(string.ascii_lowercase + "(){};,.=", size)
    return filler[:at] + value + filler[at:]


def test_long_lines_are_scanned_in_windows(detector: ShadowDetector) -> None:
    for at in (10, WINDOW - 5, WINDOW // 2 * 7 - 20, 50_000):  # around and across the cuts
        hits = detector.scan_text("bundle.min.js", long_line(60_000, at, GITHUB))
        assert [(h.detector, h.column) for h in hits] == [("GitHub Token", at + 1)], at
        assert len(hits[0].preview) <= 130
        assert GITHUB not in hits[0].preview


def test_a_hostile_long_line_does_not_hang(detector: ShadowDetector) -> None:
    # Unwindowed, the JWT pattern is quadratic here: minutes for a line this long.
    assert detector.scan_text("x.js", "eyJ" * 100_000) == []


def test_configuring_leaves_detect_secrets_global_settings_alone() -> None:
    before = get_settings().json()
    plain = ShadowDetector()
    keywords = ShadowDetector(keywords=True)
    assert get_settings().json() == before
    text = f'password = "{pick(string.ascii_lowercase, 12)}"\nGH={GITHUB}\n'
    assert [h.detector for h in plain.scan_text("a.py", text)] == ["GitHub Token"]
    assert [h.detector for h in keywords.scan_text("a.py", text)] == [
        "Secret Keyword",
        "GitHub Token",
    ]


class Exploding(GitHubTokenDetector):
    """A real plugin whose analysis fails with the line in its message."""

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        raise ValueError(f"cannot parse {string!r}")


def test_a_failing_detector_raises_without_the_line() -> None:
    failing = ShadowDetector()
    failing._plugins = ((Exploding(), "GitHub Token", 0),)
    with pytest.raises(OperationalError) as caught:
        failing.scan_text("ci/deploy.sh", f"x\nGH={GITHUB}\n")
    message = str(caught.value)
    assert message == "shadow-token scan: detector 'GitHub Token' failed on ci/deploy.sh:1"
    assert GITHUB not in message
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_hits_are_shadow_hits_sorted_by_position(detector: ShadowDetector) -> None:
    hits = detector.scan_text("all.env", all_kinds_text())
    assert all(isinstance(h, ShadowHit) for h in hits)
    assert [h.line for h in hits] == list(range(1, len(KINDS) + 1))


def test_previews_also_hide_the_spans_they_are_given(detector: ShadowDetector) -> None:
    # A vault secret that no detector flags, on the line of a shadow token.
    plain = pick(string.ascii_lowercase, 12)
    vault = VaultSecret(7, "billing-db", 2, True, Secret(plain))
    text = f"DB={plain} GH={GITHUB}\n"
    (bare,) = detector.scan_text("a.env", text)
    assert plain in bare.preview
    (hit,) = detector.scan_text("a.env", text, hide=LeakScanner([vault]).spans(text))
    assert hit.preview == "DB=«billing-db v2» GH=«GitHub Token»"
