"""Verification: pure, offline, and never a bare bool.

`verify()` takes the presented bytes (QR text or compact JWS), a trust bundle or one explicit
key, and the time; it fetches nothing and returns a frozen `VerificationResult` with one
entry per check. `verify_or_raise()` is the same, raising `VerificationFailed` unless valid.
"""

import enum
from datetime import UTC, datetime
from typing import Any, NamedTuple

from passport import jsonread, jws, qr, schema, vcdm
from passport.bundle import TrustBundle
from passport.credential import (
    CONTENT_TYPE,
    CONTENT_TYPES,
    JWT_CLAIMS,
    MEDIA_TYPE,
    MEDIA_TYPES,
    Credential,
    StatusPurpose,
    check_vc_jose_claims,
    decode_claims,
    numeric_date,
    schema_content,
)
from passport.errors import (
    AlgorithmNotAllowed,
    CredentialError,
    InputTooLarge,
    QRFormatError,
    SchemaError,
    UsageError,
    VerificationFailed,
)
from passport.keys import PublicKey
from passport.trust import CentreState, IssuerKey, KeyState


class Check(enum.StrEnum):
    FORMAT = "format"
    SIGNATURE = "signature"
    ISSUER_TRUSTED = "issuer_trusted"
    KEY_VALID = "key_valid_at_issuance"
    ACCREDITED = "issuer_accredited"
    SCHEMA = "schema"
    DATES = "validity_dates"
    STATUS = "status"
    STATUS_FRESH = "status_freshness"


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


class Code(enum.StrEnum):
    """Machine-readable reason codes; the verifier pages translate these, not messages."""

    OK = "ok"
    BAD_QR = "bad_qr"
    TOO_LARGE = "too_large"
    BAD_JWS = "bad_jws"
    ALG_NOT_ALLOWED = "alg_not_allowed"
    WRONG_MEDIA_TYPE = "wrong_media_type"
    BAD_PAYLOAD = "bad_payload"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    UNKNOWN_ISSUER = "unknown_issuer"
    KEY_NOT_YET_VALID = "key_not_yet_valid"
    KEY_EXPIRED = "key_expired"
    KEY_COMPROMISED = "key_compromised"
    NOT_IN_ISSUANCE_RECORD = "not_in_issuance_record"
    ISSUANCE_RECORD_MISSING = "issuance_record_missing"
    ISSUER_SUSPENDED = "issuer_suspended"
    TRUST_LIST_EXPIRED = "trust_list_expired"
    NOT_ACCREDITED = "not_accredited"
    SCHEMA_INVALID = "schema_invalid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    STATUS_UNKNOWN = "status_unknown"
    STATUS_STALE = "status_stale"
    EXPLICIT_KEY = "explicit_key"
    NOT_CHECKED = "not_checked"
    # VC Data Model 2.0 rules (passport.vcdm.Rule), reported by the schema check.
    CONTEXT_INVALID = "context_invalid"
    PROTECTED_TERM_REDEFINED = "protected_term_redefined"
    ID_INVALID = "id_invalid"
    TYPE_INVALID = "type_invalid"
    ISSUER_INVALID = "issuer_invalid"
    SUBJECT_INVALID = "subject_invalid"
    TYPE_MISSING = "type_missing"
    CREDENTIAL_SCHEMA_INVALID = "credential_schema_invalid"
    STATUS_ENTRY_INVALID = "status_entry_invalid"
    LANGUAGE_VALUE_INVALID = "language_value_invalid"
    DATE_TIME_INVALID = "date_time_invalid"
    VALIDITY_INVERTED = "validity_inverted"
    RELATED_RESOURCE_INVALID = "related_resource_invalid"
    # VC-JOSE-COSE: the JWT claims that bound the signature's validity.
    TOKEN_EXPIRED = "token_expired"
    TOKEN_NOT_YET_VALID = "token_not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"


class Verdict(enum.StrEnum):
    VALID = "valid"
    WARNING = "warning"
    INVALID = "invalid"


class CheckResult(NamedTuple):
    """One check's outcome. A NamedTuple: immutable, and cheap to build on the scan path."""

    check: Check
    outcome: Outcome
    code: Code
    message: str


class VerificationResult(NamedTuple):
    """One verification: the verdict, one result per check, and what was read. (A NamedTuple:
    immutable, built in one step on the scan path, and a cheap class at start-up.)"""

    verdict: Verdict
    checks: tuple[CheckResult, ...]
    credential: Credential | None
    claims: dict[str, Any] | None
    jws: str | None
    issuer_name: tuple[str, str] | None = None  # (English, Khmer) from the trust list
    status_as_of: datetime | None = None
    trust_list_expired: datetime | None = None  # when the trust list expired, if it had by then

    @property
    def valid(self) -> bool:
        return self.verdict is Verdict.VALID

    def check(self, which: Check) -> CheckResult:
        return next(c for c in self.checks if c.check is which)

    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if c.outcome is Outcome.FAIL]

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "checks": [{"check": c.check.value, "status": c.outcome.value, "code": c.code.value,
                        "message": c.message} for c in self.checks],
            "credential": self.claims,
        }


_ALL_CHECKS = tuple(Check)
# Read on every scan. An enum member is a slow class attribute in Python 3.11 (~0.15 µs a
# read: a valid card's path reads some twenty), so that path reads these constants instead.
_FORMAT, _SIGNATURE, _ISSUER_TRUSTED, _KEY_VALID, _ACCREDITED = (
    Check.FORMAT, Check.SIGNATURE, Check.ISSUER_TRUSTED, Check.KEY_VALID, Check.ACCREDITED)
_SCHEMA, _DATES, _STATUS, _STATUS_FRESH = Check.SCHEMA, Check.DATES, Check.STATUS, Check.STATUS_FRESH
_FAIL, _WARN = Outcome.FAIL, Outcome.WARN
_DONE = frozenset(("credential", "claims", "jws", "issuer_name", "status_as_of",
                   "trust_list_expired"))
_TOKEN_DATES = ("exp", "nbf", "iat")
_VALID, _WARNING, _INVALID = Verdict.VALID, Verdict.WARNING, Verdict.INVALID
_SUSPENDED, _LIVE = CentreState.SUSPENDED, KeyState.LIVE
# How far ahead of the verifier's clock an issuer's may be: `nbf` and `iat` up to this far in
# the future still count as now (RFC 7519 allows "some small leeway"). `exp` gets none.
CLOCK_SKEW_SECONDS = 300
_PASS, _OK = Outcome.PASS, Code.OK
_result = _instant = tuple.__new__


class _Run:
    """Collects check results in the fixed order of `Check`."""

    def __init__(self) -> None:
        self.results: dict[Check, CheckResult] = {}
        self.outcomes: set[Outcome] = set()

    def add(self, check: Check, outcome: Outcome, code: Code, message: str) -> None:
        self.results[check] = _result(CheckResult, (check, outcome, code, message))
        self.outcomes.add(outcome)

    def ok(self, check: Check, message: str) -> None:
        # A valid card passes nine checks: the tuple is built without NamedTuple's Python-level
        # __new__, and the constants are looked up once (3 µs of every scan).
        self.results[check] = _result(CheckResult, (check, _PASS, _OK, message))

    def fail(self, check: Check, code: Code, message: str) -> None:
        self.add(check, Outcome.FAIL, code, message)

    def finish(self, done: dict[str, Any]) -> VerificationResult:
        """The result, with what was read (`done`: the credential, claims and JWS, and any
        of issuer_name, status_as_of and trust_list_expired)."""
        if len(self.results) < len(_ALL_CHECKS):
            for check in _ALL_CHECKS:
                if check not in self.results:
                    self.add(check, Outcome.SKIP, Code.NOT_CHECKED, "not checked")
        checks = tuple(map(self.results.__getitem__, _ALL_CHECKS))
        outcomes = self.outcomes  # PASS is never recorded here: it cannot change the verdict
        verdict = (_INVALID if _FAIL in outcomes else _WARNING if _WARN in outcomes
                   else _VALID)
        if not _DONE.issuperset(done):
            raise TypeError(f"unknown result fields {sorted(set(done) - set(_DONE))}")
        get = done.get
        return _result(VerificationResult, (
            verdict, checks, done["credential"], done["claims"], done["jws"],
            get("issuer_name"), get("status_as_of"), get("trust_list_expired")))


def _parse_presented(data: str | bytes) -> tuple[jws.ParsedJWS, jsonread.Document | None]:
    """The JWS presented, and its payload's document if the QR codec built it."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise QRFormatError("input is not text") from None
    text = data.strip(qr.WHITESPACE)
    if qr.is_qr_text(text):
        d = qr.decode_parts(text)
        return jws.from_parts(d.compact, d.header, d.payload, d.signature, d.signing_input,
                              d.header_document), d.payload_document
    return jws.parse(text), None


def verify(data: str | bytes, *, at: datetime, trust: TrustBundle | None = None,
           key: PublicKey | None = None) -> VerificationResult:
    """Verify a credential presented as QR text or a compact JWS.

    With `trust`, every check runs against the trust bundle. With `key` (and no bundle),
    the signature is checked against that one key and the VC Data Model rules only: the mode
    a third party uses with an issuer's published JWK.
    """
    if (trust is None) == (key is None):
        raise UsageError("verify needs either a trust bundle or one explicit key")
    run = _Run()
    done: dict[str, Any] = {"credential": None, "claims": None, "jws": None}
    try:
        token, payload_document = _parse_presented(data)
    except InputTooLarge as exc:
        run.fail(Check.FORMAT, Code.TOO_LARGE, str(exc))
        return run.finish(done)
    except QRFormatError as exc:
        run.fail(Check.FORMAT, Code.BAD_QR, str(exc))
        return run.finish(done)
    except AlgorithmNotAllowed as exc:
        run.fail(Check.FORMAT, Code.ALG_NOT_ALLOWED, str(exc))
        return run.finish(done)
    except CredentialError as exc:
        run.fail(Check.FORMAT, Code.BAD_JWS, str(exc))
        return run.finish(done)
    done["jws"] = token.compact
    if token.header.get("typ") not in MEDIA_TYPES \
            or token.header.get("cty", CONTENT_TYPE) not in CONTENT_TYPES:
        run.fail(Check.FORMAT, Code.WRONG_MEDIA_TYPE,
                 f"media type typ={token.header.get('typ')!r} cty={token.header.get('cty')!r}; "
                 f"expected typ={MEDIA_TYPE!r}")
        return run.finish(done)
    # In trust mode the product schema is the first proof tried (see _product_schema); run
    # here, its answer also settles the VC 2.0 core schema of the VC-JOSE checks.
    product_valid = False
    try:
        claims = decode_claims(token.payload, read=payload_document)
        if trust is not None and isinstance(claims, dict):
            product_valid = schema.is_valid("credential", schema_content(claims))
        check_vc_jose_claims(claims, product_schema_valid=product_valid)
    except vcdm.DataModelError as exc:
        run.fail(Check.FORMAT, Code(exc.rule.value), str(exc))
        return run.finish(done)
    except CredentialError as exc:
        run.fail(Check.FORMAT, Code.BAD_PAYLOAD, str(exc))
        return run.finish(done)
    assert isinstance(claims, dict)
    done["claims"] = claims
    run.ok(_FORMAT, "well-formed VC-JOSE-COSE credential")
    if key is not None:
        return _verify_with_key(run, token, claims, key, at, done)
    assert trust is not None
    return _verify_with_trust(run, token, claims, trust, at, done, product_valid)


def _verify_with_key(run: _Run, token: jws.ParsedJWS, claims: dict[str, Any], key: PublicKey,
                     at: datetime, done: dict[str, Any]) -> VerificationResult:
    if jws.signature_valid(token, key):
        run.ok(_SIGNATURE, "signature verifies with the given key")
    else:
        run.fail(Check.SIGNATURE, Code.BAD_SIGNATURE, "signature does not verify with the given key")
    for check in (Check.ISSUER_TRUSTED, Check.KEY_VALID, Check.ACCREDITED, Check.STATUS,
                  Check.STATUS_FRESH):
        run.add(check, Outcome.SKIP, Code.EXPLICIT_KEY, "no trust list: key given by the caller")
    period = _data_model(run, claims)
    if period is None:
        return run.finish(done)
    _check_dates(run, claims, period, at)
    return run.finish(done)


def _data_model(run: _Run, claims: dict[str, Any]) -> vcdm.Period | None:
    """The VC Data Model 2.0 rules (passport.vcdm), each failure with its own reason code;
    the validity period they read, or None after a failure."""
    try:
        return vcdm.check(claims)
    except vcdm.DataModelError as exc:
        run.fail(Check.SCHEMA, Code(exc.rule.value), str(exc))
        return None


def _product_schema(run: _Run, claims: dict[str, Any],
                    valid: bool | None = None) -> vcdm.Period | None:
    """The schema check in trust mode: the VC 2.0 rules, then the product schema, each failure
    reported as before, with the product schema tried first because it is the cheaper proof.

    The product schema is a closed profile of VC 2.0 (every object closed, @context and types
    constants, ids and URLs by pattern): content it accepts breaks none of `vcdm.check`'s rules
    but those on values no pattern settles (a date that exists, validUntil not before
    validFrom) and those on the JWT claims it does not see. Only those are checked again, in
    `vcdm.check`'s order, so the first rule broken, and its code and message, are the same
    (tests/test_vc2_rules.py holds the two orders to the same results)."""
    content = schema_content(claims)
    if valid is None:  # not yet asked (`verify` asks it before the VC-JOSE checks)
        valid = schema.is_valid("credential", content)
    if valid:
        # The language value rule walks only what the schema did not judge: the JWT claims
        # beside the content (none, on every credential the product issues). The schema
        # itself names no @language or @direction in any of its closed objects
        # (tests/test_vc2_rules.py holds it to that), so content it accepts holds none.
        try:
            return vcdm.check_values(claims, {} if content is claims else {
                k: v for k, v in claims.items() if k in JWT_CLAIMS})
        except vcdm.DataModelError as exc:
            run.fail(Check.SCHEMA, Code(exc.rule.value), str(exc))
            return None
    if _data_model(run, claims) is None:
        return None
    try:
        schema.check("credential", content, what="credential")
    except SchemaError as exc:
        run.fail(Check.SCHEMA, Code.SCHEMA_INVALID, exc.diagnostics())
    return None


def _check_dates(run: _Run, claims: dict[str, Any], period: vcdm.Period, at: datetime) -> None:
    """The credential's validity period, then the signature's (the JWT's exp, nbf and iat).
    Compared as instants: a period written with an offset or fractions is the same period."""
    seconds = at.timestamp()
    now = _instant(vcdm.Instant, (int(seconds), "")) if not at.microsecond else vcdm.Instant.of(at)
    start, end = period
    exp = nbf = iat = None
    if not claims.keys().isdisjoint(_TOKEN_DATES):  # the product's credentials carry none
        exp, nbf, iat = (numeric_date(claims.get(name)) for name in _TOKEN_DATES)
    if start is not None and now < start:
        run.fail(Check.DATES, Code.NOT_YET_VALID, f"not valid before {claims['validFrom']}")
    elif end is not None and now >= end:
        run.fail(Check.DATES, Code.EXPIRED, f"expired at {claims['validUntil']}")
    elif exp is not None and seconds >= exp:
        run.fail(Check.DATES, Code.TOKEN_EXPIRED, f"the signature expired (exp {_when(exp)})")
    elif nbf is not None and seconds + CLOCK_SKEW_SECONDS < nbf:
        run.fail(Check.DATES, Code.TOKEN_NOT_YET_VALID,
                 f"the signature is not valid before {_when(nbf)} (nbf)")
    elif iat is not None and seconds + CLOCK_SKEW_SECONDS < iat:
        run.fail(Check.DATES, Code.ISSUED_IN_FUTURE, f"signed in the future (iat {_when(iat)})")
    else:
        run.ok(_DATES, "within its validity period")


def _when(numeric: float) -> str:
    try:
        return datetime.fromtimestamp(numeric, UTC).isoformat()
    except (OverflowError, ValueError, OSError):
        return f"{numeric:g} seconds after 1970"


def _verify_with_trust(run: _Run, token: jws.ParsedJWS, claims: dict[str, Any],
                       trust: TrustBundle, at: datetime, done: dict[str, Any],
                       product_valid: bool | None = None) -> VerificationResult:
    issuer_field = claims["issuer"]
    issuer_id = issuer_field.get("id") if isinstance(issuer_field, dict) else issuer_field
    issuer = trust.trust_list.issuers.get(str(issuer_id))
    version, expires = trust.trust_list.version, trust.trust_list.expires
    # A list past its expiry may no longer say who is accredited: never a silent pass.
    expired = f"expired on {expires.date().isoformat()}" if at >= expires else ""
    if expired:
        done["trust_list_expired"] = expires
    if issuer is None:
        run.fail(Check.ISSUER_TRUSTED, Code.UNKNOWN_ISSUER,
                 f"issuer {issuer_id} is not in trust list version {version}"
                 + (f", which {expired}: sync the trust bundle" if expired else ""))
        run.add(Check.SIGNATURE, Outcome.SKIP, Code.UNKNOWN_ISSUER, "no key for this issuer")
        return run.finish(done)
    done["issuer_name"] = (issuer.name, issuer.name_km)
    if issuer.state is _SUSPENDED:
        # Before an expired list: the suspension is what the authority last said of this very
        # centre, and what to do is the same (ask the authority); the message names both.
        run.add(Check.ISSUER_TRUSTED, Outcome.WARN, Code.ISSUER_SUSPENDED,
                f"{issuer.name}'s accreditation is suspended (trust list version {version}"
                f"{', ' + expired if expired else ''}): confirm with the national authority")
    elif expired:
        run.add(Check.ISSUER_TRUSTED, Outcome.WARN, Code.TRUST_LIST_EXPIRED,
                f"{issuer.name} is on trust list version {version}, which {expired}: the "
                "authority may have suspended the centre or withdrawn its keys since; sync "
                "the trust bundle")
    else:
        run.ok(_ISSUER_TRUSTED, f"{issuer.name} is an accredited issuer "
                                     f"(trust list version {trust.trust_list.version})")
    entry = issuer.key(token.kid)
    if entry is None:
        run.fail(Check.SIGNATURE, Code.UNKNOWN_KEY, f"key {token.kid!r} is not a key of {issuer.name}")
        return run.finish(done)
    if not jws.signature_valid(token, entry.key):
        run.fail(Check.SIGNATURE, Code.BAD_SIGNATURE, "signature does not verify: altered or forged")
        return run.finish(done)
    run.ok(_SIGNATURE, f"signed by {issuer.name}")
    period = _product_schema(run, claims, product_valid)
    if period is None:
        return run.finish(done)
    try:
        credential = Credential.from_schema_valid_claims(claims)
    except CredentialError as exc:
        run.fail(Check.SCHEMA, Code.SCHEMA_INVALID, str(exc))
        return run.finish(done)
    done["credential"] = credential
    run.ok(_SCHEMA, "matches the Skills Passport credential schema")
    _check_key(run, credential, token, issuer.id, entry, trust, at)
    occupation = credential.achievement.occupation.code
    kind = credential.kind
    if issuer.accredited_for(kind, occupation):
        run.ok(_ACCREDITED, f"accredited for {kind} in ISCO-08 {occupation}")  # a StrEnum: its value
    else:
        run.fail(Check.ACCREDITED, Code.NOT_ACCREDITED,
                 f"{issuer.name} is not accredited for {credential.kind.value} "
                 f"in ISCO-08 {occupation}")
    # The period vcdm read is the credential's own (the schema's one date-time form, read
    # as instants): its validFrom and validUntil.
    _check_dates(run, claims, period, at)
    _check_status(run, credential, trust, at, done)
    return run.finish(done)


def _check_key(run: _Run, credential: Credential, token: jws.ParsedJWS, issuer_id: str,
               entry: IssuerKey, trust: TrustBundle, at: datetime) -> None:
    """Was the key the centre's to sign this with? A live key: by its window. A retired or
    compromised key: by the centre's issuance record, never by the credential's own dates
    (anyone holding an old key can write any date)."""
    issued = credential.valid_from  # what the credential says: enough to refuse, not to trust
    if issued < entry.valid_from:
        run.fail(Check.KEY_VALID, Code.KEY_NOT_YET_VALID, "issued before the key was valid")
        return
    if entry.valid_until is not None and issued >= entry.valid_until:
        run.fail(Check.KEY_VALID, Code.KEY_EXPIRED, "issued after the key was retired")
        return
    state = entry.state_at(at)
    if state is _LIVE:
        run.ok(_KEY_VALID, "issued while the key was valid")
        return
    record = trust.records.get((issuer_id, entry.key.kid))
    slot = next((s for s in credential.status), None)
    if record is None and entry.record is not None:
        # The authority holds the record; a bundle without it is incomplete or stripped, and
        # taking it for "no record" would let a backdated card off with a warning.
        run.fail(Check.KEY_VALID, Code.ISSUANCE_RECORD_MISSING,
                 f"signed with a key {state.value} since "
                 f"{(entry.compromised_since or entry.valid_until or at).date().isoformat()}; the "
                 "trust list names its issuance record but this bundle does not carry it: sync "
                 "the national trust bundle")
        return
    if state is KeyState.COMPROMISED:
        since = entry.compromised_since
        assert since is not None
        if record is not None and slot is not None and record.vouches_for(
                _list_number(slot.list_url), slot.list_index, token.signature, before=since):
            run.ok(_KEY_VALID, f"in the centre's issuance record, issued before the key "
                                    f"was compromised on {since.date().isoformat()}")
        else:
            run.fail(Check.KEY_VALID, Code.KEY_COMPROMISED,
                     f"signed with a key compromised since {since.date().isoformat()} and not "
                     "in the centre's record of what it issued before")
        return
    until = entry.valid_until
    assert until is not None
    if record is None:
        run.add(Check.KEY_VALID, Outcome.WARN, Code.ISSUANCE_RECORD_MISSING,
                f"signed with a key retired on {until.date().isoformat()}; its issuance record "
                "is not in this trust bundle, so the date cannot be confirmed: sync it")
    elif slot is not None and record.vouches_for(_list_number(slot.list_url), slot.list_index,
                                                 token.signature, before=until):
        run.ok(_KEY_VALID, f"in the centre's issuance record for its key retired on "
                                f"{until.date().isoformat()}")
    else:
        run.fail(Check.KEY_VALID, Code.NOT_IN_ISSUANCE_RECORD,
                 f"signed with a key retired on {until.date().isoformat()} and not in the "
                 "centre's record of what it issued with it")


def _list_number(url: str) -> int:
    tail = url.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() and len(tail) < 10 else -1


def _check_status(run: _Run, credential: Credential, trust: TrustBundle, at: datetime,
                  done: dict[str, Any]) -> None:
    stale: list[str] = []
    oldest: datetime | None = None
    for entry in credential.status:
        status_list = trust.status_lists.get(entry.list_url)
        if status_list is None or status_list.issuer != credential.issuer \
                or status_list.purpose is not entry.purpose:
            known = trust.centres.get(credential.issuer)
            as_of = known.status_as_of.date().isoformat() if known and known.status_as_of \
                else None
            run.add(Check.STATUS, Outcome.WARN, Code.STATUS_UNKNOWN,
                    f"status unknown as of {as_of}: the trust bundle's lists of this centre "
                    f"do not include {entry.list_url}" if as_of else
                    f"status unknown: no {entry.purpose.value} list {entry.list_url} in the "
                    "trust bundle")
            run.add(Check.STATUS_FRESH, Outcome.SKIP, Code.STATUS_UNKNOWN, "no status list")
            return
        index, bits = entry.list_index, status_list.bitstring.bits
        if not 0 <= index < len(bits) * 8:
            run.fail(Check.STATUS, Code.SCHEMA_INVALID,
                     f"index {index} is outside {entry.list_url} "
                     f"({status_list.bitstring.size} entries)")
            return
        if bits[index >> 3] & 0x80 >> (index & 7):  # Bitstring.get, inline
            code = Code.REVOKED if entry.purpose is StatusPurpose.REVOCATION else Code.SUSPENDED
            run.fail(Check.STATUS, code, f"{entry.purpose.value} bit is set "
                                         f"(status as of {status_list.as_of})")
            return
        oldest = status_list.valid_from if oldest is None else min(oldest, status_list.valid_from)
        if at >= status_list.valid_until:
            stale.append(f"{entry.purpose.value} list expired {status_list.valid_until.date()}")
    done["status_as_of"] = oldest
    as_of = f"status as of {oldest.date().isoformat()}" if oldest else "no status entries"
    run.ok(_STATUS, f"not revoked or suspended ({as_of})")
    if stale:
        run.add(Check.STATUS_FRESH, Outcome.WARN, Code.STATUS_STALE,
                "; ".join(stale) + ": sync the trust bundle")
    else:
        run.ok(_STATUS_FRESH, f"status lists are current ({as_of})")


def verify_or_raise(data: str | bytes, *, at: datetime, trust: TrustBundle | None = None,
                    key: PublicKey | None = None) -> VerificationResult:
    result = verify(data, at=at, trust=trust, key=key)
    if not result.valid:
        problems = [c for c in result.checks if c.outcome in (Outcome.FAIL, Outcome.WARN)]
        summary = "; ".join(f"{c.check.value}: {c.message}" for c in problems)
        raise VerificationFailed(result, f"credential is {result.verdict.value}: {summary}")
    return result
