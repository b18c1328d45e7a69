"""The password rule, one place: what a new password must be, and why one is refused.

- at least 12 characters (and at most 128: bounded work for the checks and Argon2id);
- not all one character (`aaaaaaaaaaaa`, twelve spaces);
- not one of the 30,000 most common passwords (zxcvbn's list, drawn from a 10-million
  password leak corpus), in any letter case, with or without its spaces;
- not guessable by pattern: zxcvbn's estimate must reach score 3 (about 10^8 guesses), which
  refuses what a list cannot hold at 12+ characters: a common word with digits added
  (`password1234`), keyboard runs (`qwertyuiopas`), sequences (`123456789012`), repeats,
  dates, and the username itself.

Passwords that only their holder knows are the point: whatever someone else chose or saw (the
first admin's from `skillpass init`, an admin's at creation or reset) must be changed at the
next sign-in (see `issuer.service.accounts`).
"""

from __future__ import annotations

import secrets
import unicodedata
from functools import cache

from passport.errors import DocumentError

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
_ESTIMATED = 72  # zxcvbn's own bound on the characters it estimates (it refuses longer)


@cache
def _common() -> frozenset[str]:
    # Imported on first use: the lists take most of a second to load, and only setting a
    # password needs them.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def problems(password: str, username: str = "") -> list[str]:
    """Every rule `password` breaks, in words for the person choosing it; [] if none."""
    text = unicodedata.normalize("NFC", password)
    if len(text) < MIN_LENGTH:
        return [f"a password has at least {MIN_LENGTH} characters"]
    if len(text) > MAX_LENGTH:
        return [f"a password has at most {MAX_LENGTH} characters"]
    if len(set(text)) == 1:
        return ["a password is not one character repeated"]
    folded = text.casefold()
    if folded in _common() or "".join(folded.split()) in _common():
        return ["this password is on a list of common passwords"]
    from zxcvbn import zxcvbn

    estimate = zxcvbn(text[:_ESTIMATED], user_inputs=[username] if username else [])
    if estimate["score"] < MIN_SCORE:
        hint = estimate["feedback"].get("warning") or "it follows a common pattern"
        return [f"this password is too easy to guess ({hint.rstrip('.')}); use a longer one, "
                "e.g. several unrelated words"]
    return []


def check(password: str, username: str = "", *, field: str = "password") -> None:
    """Refuse a new password that breaks the rule, naming the field and what is wrong."""
    found = problems(password, username)
    if found:
        raise DocumentError("new password", [(field, p) for p in found])


def one_time() -> str:
    """A password the system chooses for someone to change at first sign-in: 128 random bits."""
    return secrets.token_urlsafe(16)
