"""W3C Verifiable Credentials Data Model 2.0, section 4: every MUST a verifier can check on
the credential alone, without fetching anything (no context document, no schema, no status).

`check(claims)` raises a `DataModelError` naming the broken rule (its `rule` is the reason code
a verification result reports) and where. It judges any credential, a third party's as well as
the product's own; the product's stricter schema (schemas/credential.schema.json) comes after.
verifier/web/src/vcdm.js is the same rules for the phone page, in the same order.

What is not checked here, because it needs a fetch or a JSON-LD processor: whether a context
URL resolves, and whether a term is defined by a context other than an inline one.
"""

import enum
import json
import re
from datetime import datetime
from typing import Any, NamedTuple

from passport.errors import CredentialError

CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"

# The terms https://www.w3.org/ns/credentials/v2 defines at its top level, all "@protected":
# an inline context (an object in @context) that defines one of them again makes JSON-LD
# processing fail (a "protected term redefinition"). verifier/web/src/vcdm.js holds the same.
PROTECTED_TERMS = frozenset({
    "id", "type", "description", "digestMultibase", "digestSRI", "mediaType", "name",
    "VerifiableCredential", "EnvelopedVerifiableCredential", "VerifiablePresentation",
    "EnvelopedVerifiablePresentation", "JsonSchemaCredential", "JsonSchema",
    "BitstringStatusListCredential", "BitstringStatusList", "BitstringStatusListEntry",
    "DataIntegrityProof", "...", "_sd", "_sd_alg", "aud", "cnf", "exp", "iat", "iss", "jku",
    "kid", "nbf", "sub", "x5u",
})

# Properties whose every object MUST say its type (VC 2.0 sections 4.9, 4.10, 5.4, 5.5, 5.6).
TYPED_PROPERTIES = ("credentialStatus", "credentialSchema", "refreshService", "termsOfUse",
                    "evidence")


class Rule(enum.StrEnum):
    """One reason code per rule; passport.verify.Code carries the same values."""

    CONTEXT = "context_invalid"
    PROTECTED_TERM = "protected_term_redefined"
    ID = "id_invalid"
    TYPE = "type_invalid"
    ISSUER = "issuer_invalid"
    SUBJECT = "subject_invalid"
    TYPE_MISSING = "type_missing"
    CREDENTIAL_SCHEMA = "credential_schema_invalid"
    STATUS_ENTRY = "status_entry_invalid"
    LANGUAGE_VALUE = "language_value_invalid"
    DATE_TIME = "date_time_invalid"
    VALIDITY_INVERTED = "validity_inverted"
    RELATED_RESOURCE = "related_resource_invalid"


class DataModelError(CredentialError):
    def __init__(self, rule: Rule, where: str, message: str) -> None:
        self.rule, self.where, self.message = rule, where, message
        super().__init__(f"VC Data Model 2.0: {where}: {message}")


# An absolute URL (RFC 3986 scheme, then anything but spaces, controls and the characters a
# URL never holds unescaped); an IRI's non-ASCII characters are allowed.
_URL = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|\\^`\x7f]+')
# A JSON-LD term: no spaces or controls, not a keyword ("@..."), no ':' (that is a URL or a
# compact IRI, matched by _URL), nothing a URL path or fragment would hold.
_TERM = re.compile(r'[^\x00-\x20@:/?#\[\]<>"{}|\\^`\x7f][^\x00-\x20:/?#\[\]<>"{}|\\^`\x7f]*')
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
# XML Schema 1.1 dateTimeStamp (a time zone is required), with 4-digit years 0001-9999.
_DATE_TIME_STAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})")
_LANGUAGE_KEYS = frozenset({"@value", "@language", "@direction"})


def _show(value: object) -> str:
    """A value in a message, as JSON (as JSON.stringify shows it on the phone page)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def is_url(value: object) -> bool:
    return isinstance(value, str) and _URL.fullmatch(value) is not None


class Instant(NamedTuple):
    """A point in time to any precision: whole seconds since 1970 (UTC), and the decimal
    digits of the fraction without trailing zeros (compared as text, they order as numbers)."""

    seconds: int
    fraction: str

    @classmethod
    def of(cls, t: datetime) -> "Instant":
        if not t.microsecond:
            # Whole seconds (the verifier's clock in most calls): the timestamp is exact.
            return cls(int(t.timestamp()), "")
        whole = int(t.replace(microsecond=0).timestamp())
        return cls(whole, f"{t.microsecond:06d}".rstrip("0"))


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_date_time_stamp(text: str) -> Instant:
    """The instant an XML Schema dateTimeStamp names (fractional seconds and any offset),
    or a DataModelError saying what is wrong with it."""
    def bad(why: str) -> DataModelError:
        return DataModelError(Rule.DATE_TIME, "$", f"{_show(text[:40])} {why}")

    m = _DATE_TIME_STAMP.fullmatch(text)
    if m is None:
        raise bad("is not a date-time with a time zone, like 2026-01-31T00:00:00Z or "
                  "2026-01-31T07:00:00.5+07:00")
    if len(text) == 20:
        # YYYY-MM-DDTHH:MM:SSZ, the form every credential of the product writes (two on every
        # scan): C reads it. It refuses just what the checks below refuse (year 0000, a day
        # or a time that does not exist), and those go on to say which.
        try:
            t = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return _instant(Instant, ((t.toordinal() - _UNIX_DAY) * 86400 + t.hour * 3600
                                      + t.minute * 60 + t.second, ""))
    year, month, day, hour, minute, second = map(int, m.group(1, 2, 3, 4, 5, 6))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if year == 0:
        raise bad("has year 0000: years 0001 to 9999 are accepted")
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS_IN_MONTH[leap][month - 1]:
        raise bad("names a day that does not exist")
    if hour > 23 or minute > 59 or second > 59:
        raise bad("names a time that does not exist (hours 00-23, no leap second)")
    zone = m.group(8)
    offset = 0
    if zone != "Z":
        oh, om = int(zone[1:3]), int(zone[4:6])
        if om > 59 or oh > 14 or (oh == 14 and om):
            raise bad("has a time zone offset outside -14:00..+14:00")
        offset = (oh * 3600 + om * 60) * (-1 if zone[0] == "-" else 1)
    seconds = (_days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
               - offset)
    fraction = m.group(7)
    return _instant(Instant, (seconds, fraction.rstrip("0") if fraction else ""))


_UNIX_DAY = 719_163  # date(1970, 1, 1).toordinal()
_DAYS_IN_MONTH = ((31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31),
                  (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31))
# An Instant built without NamedTuple's Python-level __new__ (its fields are given in order).
_instant = tuple.__new__


def _entries(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_types(value: Any, where: str) -> None:
    for t in _entries(value):
        if not isinstance(t, str) or not (_URL.fullmatch(t) or _TERM.fullmatch(t)):
            raise DataModelError(Rule.TYPE, where,
                                 f"type {_show(t)} is neither a term nor an absolute URL")
    if isinstance(value, list) and not value:
        raise DataModelError(Rule.TYPE, where, "type is an empty list")


def _check_id(obj: dict[str, Any], where: str, rule: Rule = Rule.ID) -> None:
    if "id" in obj and not is_url(obj["id"]):
        raise DataModelError(rule, f"{where}.id", f"{_show(obj['id'])} is not a single URL")


def _check_context(context: list[Any]) -> None:
    if context[0] != CONTEXT_V2:
        raise DataModelError(Rule.CONTEXT, "@context[0]", f"the first entry must be {CONTEXT_V2}")
    for i, entry in enumerate(context[1:], start=1):
        if isinstance(entry, dict):
            for term in entry:
                if term in PROTECTED_TERMS:
                    raise DataModelError(Rule.PROTECTED_TERM, f"@context[{i}]",
                                         f"redefines {_show(term)}, a protected term of "
                                         f"{CONTEXT_V2}")
        elif not is_url(entry):
            raise DataModelError(Rule.CONTEXT, f"@context[{i}]",
                                 f"{_show(entry)} is neither a URL nor a context object")


def _check_language_text(value: Any, where: str) -> None:
    """name / description: a string, a language value object, or a list of them."""
    for v in _entries(value):
        if isinstance(v, str):
            continue
        if not isinstance(v, dict) or "@value" not in v:
            raise DataModelError(Rule.LANGUAGE_VALUE, where,
                                 "must be a string or a language value object")
        _check_value_object(v, where)


def _check_value_object(v: dict[str, Any], where: str) -> None:
    extra = sorted(set(v) - _LANGUAGE_KEYS)
    if extra:
        raise DataModelError(Rule.LANGUAGE_VALUE, where,
                             f"a language value object holds only @value, @language and "
                             f"@direction, not {', '.join(extra)}")
    if not isinstance(v["@value"], str):
        raise DataModelError(Rule.LANGUAGE_VALUE, where, "@value must be a string")
    lang = v.get("@language")
    if lang is not None and not (isinstance(lang, str) and _LANGUAGE_TAG.fullmatch(lang)):
        raise DataModelError(Rule.LANGUAGE_VALUE, where,
                             f"@language {_show(lang)} is not a BCP 47 language tag")
    if "@direction" in v and v["@direction"] not in ("ltr", "rtl"):
        raise DataModelError(Rule.LANGUAGE_VALUE, where, "@direction must be 'ltr' or 'rtl'")


def _bad_value_object(node: Any) -> list[str | int] | None:
    """The path to the first object carrying @language or @direction next to an @value whose
    form is wrong, anywhere (not inside @context); None when there is none. The path is built
    only for a hit: this walks every node of every scanned credential."""
    if isinstance(node, dict):
        if "@value" in node and ("@language" in node or "@direction" in node):
            try:
                _check_value_object(node, "")
            except DataModelError:
                return []
        for k, v in node.items():
            if k != "@context" and isinstance(v, dict | list):
                found = _bad_value_object(v)
                if found is not None:
                    return [k, *found]
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, dict | list):
                found = _bad_value_object(v)
                if found is not None:
                    return [i, *found]
    return None


def _has_language_values(claims: dict[str, Any]) -> bool:
    """Whether any object (outside @context) holds @language or @direction: a quick walk, so a
    credential without any (every one the product issues) pays little for the rule."""
    stack: list[Any] = [v for k, v in claims.items() if k != "@context"]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            if "@language" in node or "@direction" in node:
                return True
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
    return False


def _path(parts: list[str | int]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


Period = tuple[Instant | None, Instant | None]


def check(claims: dict[str, Any]) -> Period:
    """Raise a DataModelError for the first VC 2.0 rule `claims` break (the rules run in a
    fixed order, the phone page's too). `claims` passed schemas/vc-core.schema.json.
    Returns the instants validFrom and validUntil name (None for one that is absent)."""
    _check_structure(claims)
    return check_values(claims, claims)


def _check_structure(claims: dict[str, Any]) -> None:
    """Every rule before the language value objects, in `check`'s order."""
    _check_context(claims["@context"])
    _check_id(claims, "$")
    _check_types(claims["type"], "$.type")
    for prop in ("name", "description"):
        if prop in claims:
            _check_language_text(claims[prop], f"$.{prop}")
    issuer = claims["issuer"]
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not is_url(issuer_id):
        raise DataModelError(Rule.ISSUER, "$.issuer", f"{_show(issuer_id)} is not a URL")
    if isinstance(issuer, dict):
        if "type" in issuer:
            _check_types(issuer["type"], "$.issuer.type")
        for prop in ("name", "description"):
            if prop in issuer:
                _check_language_text(issuer[prop], f"$.issuer.{prop}")
    subjects = _entries(claims["credentialSubject"])
    if not subjects:
        raise DataModelError(Rule.SUBJECT, "$.credentialSubject", "holds no subject")
    for i, subject in enumerate(subjects):
        where = "$.credentialSubject" + (f"[{i}]" if isinstance(claims["credentialSubject"],
                                                                 list) else "")
        if not isinstance(subject, dict) or not set(subject) - {"id"}:
            raise DataModelError(Rule.SUBJECT, where, "a subject must hold at least one claim")
        _check_id(subject, where)
    for prop in TYPED_PROPERTIES:
        if prop not in claims:
            continue
        for i, entry in enumerate(_entries(claims[prop])):
            where = f"$.{prop}" + (f"[{i}]" if isinstance(claims[prop], list) else "")
            if not isinstance(entry, dict) or "type" not in entry:
                raise DataModelError(Rule.TYPE_MISSING, where, "an object with a type is required")
            _check_types(entry["type"], f"{where}.type")
            if prop in ("evidence", "refreshService", "termsOfUse"):
                _check_id(entry, where)
    for i, entry in enumerate(_entries(claims.get("credentialSchema", []))):
        if not is_url(entry.get("id")):
            raise DataModelError(Rule.CREDENTIAL_SCHEMA, f"$.credentialSchema[{i}].id",
                                 "a credential schema is named by a URL id")
    seen: set[str] = set()
    for i, entry in enumerate(_entries(claims.get("credentialStatus", []))):
        if "id" not in entry:
            continue
        if not is_url(entry["id"]):
            raise DataModelError(Rule.STATUS_ENTRY, f"$.credentialStatus[{i}].id",
                                 f"{_show(entry['id'])} is not a URL")
        if entry["id"] in seen:
            raise DataModelError(Rule.STATUS_ENTRY, f"$.credentialStatus[{i}].id",
                                 f"{entry['id']} names two status entries")
        seen.add(entry["id"])
    for i, entry in enumerate(_entries(claims.get("relatedResource", []))):
        # Section 5.3: each names its resource by URL, once, with a digest to check it by.
        where = f"$.relatedResource[{i}]"
        if not isinstance(entry, dict) or not is_url(entry.get("id")):
            raise DataModelError(Rule.RELATED_RESOURCE, where, "a related resource has a URL id")
        if "digestSRI" not in entry and "digestMultibase" not in entry:
            raise DataModelError(Rule.RELATED_RESOURCE, where,
                                 "a related resource has a digestSRI or digestMultibase")
        if any(e.get("id") == entry["id"] for e in _entries(claims["relatedResource"])[:i]):
            raise DataModelError(Rule.RELATED_RESOURCE, where,
                                 f"{entry['id']} is listed twice")


def check_values(claims: dict[str, Any], scope: dict[str, Any]) -> Period:
    """The last of `check`'s rules, in its order: language value objects anywhere in `scope`,
    then validFrom and validUntil, which must name instants, in order. `scope` is `claims`, or
    the top-level members of it (in its order) that a closed profile's schema did not judge:
    a schema's patterns cannot say whether a date exists or two dates are in order."""
    found = _bad_value_object(scope) if _has_language_values(scope) else None
    if found is not None:
        node: Any = claims
        for step in found:
            node = node[step]
        _check_value_object(node, _path(found))
    times: dict[str, Instant] = {}
    for prop in ("validFrom", "validUntil"):
        if prop in claims:
            value = claims[prop]
            if not isinstance(value, str):
                raise DataModelError(Rule.DATE_TIME, f"$.{prop}", "must be a date-time string")
            try:
                times[prop] = parse_date_time_stamp(value)
            except DataModelError as exc:
                raise DataModelError(Rule.DATE_TIME, f"$.{prop}", exc.message) from None
    if "validFrom" in times and "validUntil" in times and times["validUntil"] < times["validFrom"]:
        raise DataModelError(Rule.VALIDITY_INVERTED, "$.validUntil",
                             "validUntil is before validFrom")
    return times.get("validFrom"), times.get("validUntil")
