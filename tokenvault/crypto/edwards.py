"""Ed25519 public-key validation: canonical, on the curve, not small order, prime-order subgroup.

OpenSSL's Ed25519 verify accepts the identity point and other small-order keys, for which one
signature verifies against every message. Keys enter the vault through member.add and the
genesis entry, so each is checked here first. The rule is libsodium's
`crypto_core_ed25519_is_valid_point` (the tests hold us to it with PyNaCl as the oracle):
the encoding is canonical (y < p, no "negative zero"), the point is on the curve, it is not of
small order, and L·P is the identity. Arithmetic follows RFC 8032 §5.1 (extended coordinates);
this runs once per key, so clarity beats speed.
"""

from __future__ import annotations

P = 2**255 - 19
D = (-121665 * pow(121666, P - 2, P)) % P
L = 2**252 + 27742317777372353535851937790883648493
SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z
IDENTITY: Point = (0, 1, 1, 0)


def _recover_x(y: int, sign: int) -> int | None:
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if x & 1 != sign:
        x = P - x
    return x


def decode_point(encoded: bytes) -> Point | None:
    """The point for a canonical 32-byte encoding, or None."""
    if len(encoded) != 32:
        return None
    value = int.from_bytes(encoded, "little")
    sign = value >> 255
    y = value & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def _add(p: Point, q: Point) -> Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(scalar: int, point: Point) -> Point:
    result = IDENTITY
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _is_identity(point: Point) -> bool:
    x, y, z, _ = point
    return x % P == 0 and (y - z) % P == 0


def is_valid_public_key(encoded: bytes) -> bool:
    """True for a canonical encoding of a point of prime order L (a usable Ed25519 key)."""
    point = decode_point(encoded)
    if point is None or _is_identity(point):
        return False
    return _is_identity(_mul(L, point))
