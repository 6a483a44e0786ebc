"""`.env` files: `KEY=VALUE` lines, one token per key.

Accepted: blank lines, `#` comment lines, an `export ` prefix, spaces around `=`, values in
single quotes (taken literally) or double quotes (`\\"`, `\\\\` and `\\n` unescaped), and a
` #` comment after an unquoted value. CRLF and a UTF-8 BOM are accepted. The token name is
the key lower-cased with `_` turned into `-` (`GITHUB_TOKEN` -> `github-token`), so the
names look like the rest of the vault; the original key goes into `used_by` as `env:KEY`.
"""

from __future__ import annotations

import re

from tokenvault.domain.imports.common import (
    ImportFormatError,
    ImportRecord,
    check_unique,
    decode,
    make_record,
)

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n"}


def token_name(key: str) -> str:
    return key.lower().replace("_", "-")


def _value(raw: str, file: str, line: int) -> str:
    raw = raw.strip()
    if raw[:1] == "'":
        end = raw.find("'", 1)
        if end < 0:
            raise ImportFormatError(file, line, "unterminated single quote")
        rest, value = raw[end + 1 :], raw[1:end]
    elif raw[:1] == '"':
        out: list[str] = []
        i = 1
        while i < len(raw) and raw[i] != '"':
            if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in _ESCAPES:
                out.append(_ESCAPES[raw[i + 1]])
                i += 2
            else:
                out.append(raw[i])
                i += 1
        if i >= len(raw):
            raise ImportFormatError(file, line, "unterminated double quote")
        rest, value = raw[i + 1 :], "".join(out)
    else:
        cut = re.search(r"\s#", raw)
        return (raw if cut is None else raw[: cut.start()]).strip()
    rest = rest.strip()
    if rest and not rest.startswith("#"):
        raise ImportFormatError(file, line, "text after the closing quote")
    return value


def parse_env(data: bytes, file: str) -> list[ImportRecord]:
    records = []
    for number, text in enumerate(decode(data, file).split("\n"), start=1):
        text = text.removesuffix("\r").strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith(("export ", "export\t")):
            text = text[len("export") :].lstrip()
        key, sep, raw = text.partition("=")
        key = key.strip()
        if not sep:
            raise ImportFormatError(file, number, "not a KEY=VALUE line")
        if _KEY.fullmatch(key) is None:
            raise ImportFormatError(file, number, "the key is not a variable name")
        value = _value(raw, file, number)
        fields = {"name": token_name(key), "used_by": [f"env:{key}"]}
        records.append(make_record(file, number, fields, value, column=key))
    return check_unique(records, file)
