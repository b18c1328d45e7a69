"""The credential model: RPL certificates, statements of attainment, TVET training records.

A `Credential` is only ever built from claims that passed the schema and the semantic
checks here (`Credential.from_claims`), or by the builders below, which go through the
same gate. The JSON key order is fixed: it is what the QR dictionary and the QR codec v2
template were built from (another order still travels, deflated).
"""

import enum
import json
from datetime import UTC, datetime
from typing import Any, NamedTuple, NoReturn

from passport import jsonread, schema, sha256, vcdm
from passport.errors import CredentialError, JWSFormatError, TimeFormatError

CONTEXTS = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://w3id.org/skills-passport/v1",
)
CREDENTIAL_TYPE = ("VerifiableCredential", "AchievementCredential")
MEDIA_TYPE = "vc+jwt"
CONTENT_TYPE = "vc"
# What a verifier accepts: RFC 7515 sections 4.1.9 and 4.1.10 let "application/" be omitted,
# so the full form names the same media type. Anything else (other case included) is refused.
MEDIA_TYPES = (MEDIA_TYPE, "application/" + MEDIA_TYPE)
CONTENT_TYPES = (CONTENT_TYPE, "application/" + CONTENT_TYPE)
# JWT claims VC-JOSE-COSE lets a credential's claims set carry beside the credential: `iss`
# equal to the issuer's id, and the NumericDates that bound the signature's validity.
JWT_CLAIMS = ("iss", "exp", "nbf", "iat")
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
# Claims as a credential's JWS carries them. A repeated name takes the lexically last value
# (RFC 7519 section 4), as on the phone page. A credential opens about 40 brackets: below 64
# the reader's one count stands in for the depth scan on every scan of a card.
CLAIMS_LIMITS = jsonread.Limits(max_bytes=16_384, max_depth=64, unique_keys=False)


class Kind(enum.StrEnum):
    """What a credential certifies; the trust list accredits issuers per kind."""

    RPL = "rpl"
    TVET = "tvet"


class AchievementType(enum.StrEnum):
    CERTIFICATE = "Certificate"  # every unit of the rubric achieved
    STATEMENT_OF_ATTAINMENT = "ext:StatementOfAttainment"  # a subset, listed
    COURSE = "Course"  # TVET training record

    @property
    def kind(self) -> Kind:
        # Module constants: an enum member is a slow class attribute (read on every scan).
        return _TVET if self is _COURSE else _RPL


_ACHIEVEMENT_TYPES = {t.value: t for t in AchievementType}
_COURSE, _TVET, _RPL = AchievementType.COURSE, Kind.TVET, Kind.RPL


class StatusPurpose(enum.StrEnum):
    REVOCATION = "revocation"
    SUSPENSION = "suspension"


_PURPOSES = {p.value: p for p in StatusPurpose}
_FRAMEWORKS = frozenset(("ISCO-08", "CQF"))
_named = tuple.__new__


def format_time(t: datetime) -> str:
    if t.tzinfo is None:
        raise CredentialError("times must carry a time zone")
    return t.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse the schema's UTC form, YYYY-MM-DDTHH:MM:SSZ."""
    if len(text) != 20 or text[10] != "T" or not text.endswith("Z"):
        raise TimeFormatError(f"{text[:40]!r} is not a UTC date-time like 2026-01-31T00:00:00Z")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise TimeFormatError(f"{text!r} is not a date and time that exists") from None


def new_credential_id() -> str:
    import secrets  # issuing only: a verifier never makes an id

    return "urn:skillpass:cred:" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def national_id_hash(national_id: str, salt: str) -> str:
    """OB 3.0 IdentityHash of a national ID number: sha256 over the number, then the salt."""
    normalized = "".join(national_id.split()).upper()
    return "sha256$" + sha256.hexdigest((normalized + salt).encode("utf-8"))


class Holder(NamedTuple):
    """The credential's holder: names, birth year, and the salted hash of the national ID."""

    name: str
    name_km: str
    birth_year: int
    national_id_last4: str
    national_id_hash: str
    salt: str

    def matches_national_id(self, national_id: str) -> bool:
        return sha256.same(national_id_hash(national_id, self.salt), self.national_id_hash)


class Alignment(NamedTuple):
    """An alignment target (a NamedTuple: immutable and cheap on the scan path)."""

    framework: str  # "ISCO-08" or "CQF"
    code: str
    name: str


class Achievement(NamedTuple):
    """What was achieved: the rubric or course, its kind, texts and alignments."""

    id: str
    type: AchievementType
    name: str
    name_km: str
    description: str
    criteria: str
    occupation: Alignment  # ISCO-08
    level: Alignment  # CQF
    learning_hours: int | None = None


class UnitResult(NamedTuple):
    """A unit judged competent (a NamedTuple: immutable and cheap on the scan path)."""

    unit: str  # the unit code within the rubric
    result_description: str


class StatusEntry(NamedTuple):
    """Where to look up this credential's status (a NamedTuple: immutable and cheap on the scan path)."""

    purpose: StatusPurpose
    list_url: str
    list_index: int


class Credential(NamedTuple):
    """A credential that passed the schema and the semantic checks, with its claims.

    Credential, Holder, Achievement and the parts below are NamedTuples: immutable, built on
    the scan path in one step each (no Python-level __init__), and cheap classes to create
    at the start of every `skillpass verify`."""

    id: str
    issuer: str
    valid_from: datetime
    valid_until: datetime | None
    holder: Holder
    achievement: Achievement
    results: tuple[UnitResult, ...]
    status: tuple[StatusEntry, ...]
    activity_start: datetime | None
    activity_end: datetime | None
    claims: dict[str, Any]

    @property
    def kind(self) -> Kind:
        return self.achievement.type.kind

    def payload(self) -> bytes:
        return encode_claims(self.claims)

    @classmethod
    def from_claims(cls, claims: object) -> "Credential":
        """Parse JSON claims into a Credential, or raise a `CredentialError` saying why."""
        check_vc_jose_claims(claims)
        assert isinstance(claims, dict)
        return cls.from_vc_claims(claims)

    @classmethod
    def from_vc_claims(cls, claims: dict[str, Any]) -> "Credential":
        """`from_claims` for claims that already passed `check_vc_jose_claims`."""
        schema.check("credential", schema_content(claims), what="credential")
        return cls.from_schema_valid_claims(claims)

    @classmethod
    def from_schema_valid_claims(cls, claims: dict[str, Any]) -> "Credential":
        """`from_vc_claims` for claims whose `schema_content` the product schema accepted:
        the rules a schema cannot state (dates that exist, units listed once...)."""
        subject = claims["credentialSubject"]
        ident = subject["identifier"][0]
        ach = subject["achievement"]
        achievement_type = _ACHIEVEMENT_TYPES[ach["achievementType"]]
        aligned = {a["targetFramework"]: a for a in ach["alignment"]}
        if aligned.keys() != _FRAMEWORKS:
            raise CredentialError("credential: alignment must name one ISCO-08 and one CQF target")
        prefix = ach["id"] + "#"
        cut = len(prefix)
        # The tuples are built without NamedTuple's Python-level __new__ (fields in order):
        # a certificate lists up to 40 units, and every scan builds them.
        units: list[str] = []
        listed: list[UnitResult] = []
        for r in subject.get("result", ()):
            d = r["resultDescription"]
            if not d.startswith(prefix):
                _foreign(d)
            unit = d[cut:]
            units.append(unit)
            listed.append(_named(UnitResult, (unit, d)))
        results = tuple(listed)
        if achievement_type.kind is _RPL:
            if not results:
                raise CredentialError("credential: an RPL credential lists its achieved units")
            if len(set(units)) != len(results):
                raise CredentialError("credential: a unit is listed twice")
        elif results:
            raise CredentialError("credential: a training record carries no unit results")
        status = tuple([
            _named(StatusEntry, (_PURPOSES[s["statusPurpose"]], s["statusListCredential"],
                                 int(s["statusListIndex"])))
            for s in claims["credentialStatus"]
        ])
        if len({s[0] for s in status}) != len(status):
            raise CredentialError("credential: two status entries share a purpose")
        valid_from = parse_time(claims["validFrom"])
        valid_until = parse_time(claims["validUntil"]) if "validUntil" in claims else None
        if valid_until is not None and valid_until <= valid_from:
            raise CredentialError("credential: validUntil is not after validFrom")
        start = subject.get("activityStartDate")
        end = subject.get("activityEndDate")
        # Fields in their declared order (tests/test_verify.py holds this to the constructors).
        holder = _named(Holder, (
            subject["name"], subject["nameKm"], subject["birthYear"], subject["nationalIdLast4"],
            ident["identityHash"], ident["salt"]))
        achievement = _named(Achievement, (
            ach["id"], achievement_type, ach["name"], ach["nameKm"], ach["description"],
            ach["criteria"]["narrative"], _alignment(aligned["ISCO-08"]),
            _alignment(aligned["CQF"]), ach.get("learningHours")))
        return _named(cls, (
            claims["id"], claims["issuer"]["id"], valid_from, valid_until, holder, achievement,
            results, status, parse_time(start) if start else None,
            parse_time(end) if end else None, claims))

    @classmethod
    def from_payload(cls, payload: bytes) -> "Credential":
        return cls.from_claims(decode_claims(payload))


def _foreign(description: str) -> NoReturn:
    raise CredentialError(f"credential: result {description} refers to another achievement")


def _alignment(a: dict[str, Any]) -> Alignment:
    return _named(Alignment, (a["targetFramework"], a["targetCode"], a["targetName"]))


def schema_content(claims: dict[str, Any]) -> dict[str, Any]:
    """What the product schema judges: the credential without the JWT claims beside it."""
    return claims if claims.keys().isdisjoint(JWT_CLAIMS) else {
        k: v for k, v in claims.items() if k not in JWT_CLAIMS}


def encode_claims(claims: dict[str, Any]) -> bytes:
    return json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_claims(payload: bytes, limits: jsonread.Limits = CLAIMS_LIMITS,
                  read: jsonread.Document | None = None) -> object:
    """The claims in a JWS payload (`read`: as the QR codec built them beside the bytes)."""
    try:
        return jsonread.loads(payload, limits, read)
    except jsonread.JSONRejected as exc:
        raise JWSFormatError(f"{exc}", part="payload") from None


def check_vc_jose_claims(claims: object, *, product_schema_valid: bool = False) -> None:
    """VC-JOSE-COSE rules every credential must meet, ours or a third party's.

    The credential JSON is the claims set: a 1.1-style `vc` or `vp` claim is refused, an
    `iss` claim, if present, must equal `issuer` (its `id`), and `exp` and `nbf`, if present,
    must be NumericDates (a verifier that cannot read an expiry must not ignore it). A
    non-numeric `iat` is not a NumericDate and says nothing about validity: it is ignored (the
    W3C vc-jose-cose test vectors carry an ISO date there).

    `product_schema_valid` says the product schema accepted `schema_content(claims)`: every
    property the VC 2.0 core schema reads is then one the product schema holds to stricter
    forms (tests/test_vc2_rules.py holds the one to imply the other), so it is not run again.
    """
    if not isinstance(claims, dict):
        raise CredentialError("credential: the payload is not a JSON object")
    for legacy in ("vc", "vp"):
        if legacy in claims:
            raise CredentialError(f"credential: VC 1.1-style '{legacy}' claim is not accepted")
    if not product_schema_valid:
        schema.check("vc-core", claims, what="credential (VC Data Model 2.0)")
    if claims["@context"][0] != vcdm.CONTEXT_V2:
        raise vcdm.DataModelError(vcdm.Rule.CONTEXT, "@context[0]",
                                  f"the first entry must be {vcdm.CONTEXT_V2}")
    issuer = claims["issuer"]
    issuer_id = issuer["id"] if isinstance(issuer, dict) else issuer
    if "iss" in claims and claims["iss"] != issuer_id:
        raise CredentialError("credential: 'iss' claim differs from issuer.id")
    for name in ("exp", "nbf"):
        if name in claims and numeric_date(claims[name]) is None:
            raise CredentialError(f"credential: '{name}' claim is not a NumericDate (seconds "
                                  "since 1970 as a JSON number)")


def numeric_date(value: object) -> float | None:
    """A JWT NumericDate (RFC 7519 section 2): a JSON number; None for anything else."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


# -- builders: the only way new claims are made; they pass through from_claims -----------

def alignments(isco_code: str, isco_name: str, cqf_level: str, cqf_name: str) -> list[Any]:
    return [
        {"type": ["Alignment"], "targetCode": isco_code, "targetFramework": "ISCO-08",
         "targetName": isco_name, "targetType": "ext:Occupation",
         "targetUrl": f"http://data.europa.eu/esco/isco/C{isco_code}"},
        {"type": ["Alignment"], "targetCode": cqf_level, "targetFramework": "CQF",
         "targetName": cqf_name, "targetType": "ext:QualificationLevel",
         "targetUrl": f"urn:skillpass:cqf:{cqf_level}"},
    ]


class HolderInput(NamedTuple):
    """What an issuer knows of a holder; the full national ID never enters a credential."""

    name: str
    name_km: str
    birth_year: int
    national_id: str


def build_claims(
    *,
    issuer: str,
    holder: HolderInput,
    achievement: dict[str, Any],
    valid_from: datetime,
    status: list[StatusEntry],
    results: list[str] | None = None,
    activity: tuple[datetime, datetime] | None = None,
    valid_until: datetime | None = None,
    credential_id: str | None = None,
) -> dict[str, Any]:
    cred_id = credential_id or new_credential_id()
    salt = cred_id.rsplit(":", 1)[1]
    national = "".join(holder.national_id.split()).upper()
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "name": holder.name,
        "nameKm": holder.name_km,
        "birthYear": holder.birth_year,
        "nationalIdLast4": national[-4:],
        "identifier": [{
            "type": "IdentityObject", "identityType": "nationalIdentityNumber", "hashed": True,
            "identityHash": national_id_hash(national, salt), "salt": salt,
        }],
        "achievement": achievement,
    }
    if results is not None:
        subject["result"] = [
            {"type": ["Result"], "resultDescription": f"{achievement['id']}#{unit}",
             "value": "Competent"}
            for unit in results
        ]
    if activity is not None:
        subject["activityStartDate"] = format_time(activity[0])
        subject["activityEndDate"] = format_time(activity[1])
    claims: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": cred_id,
        "type": list(CREDENTIAL_TYPE),
        "issuer": {"id": issuer, "type": ["Profile"]},
        "validFrom": format_time(valid_from),
    }
    if valid_until is not None:
        claims["validUntil"] = format_time(valid_until)
    claims["credentialSubject"] = subject
    claims["credentialStatus"] = [
        {"type": "BitstringStatusListEntry", "statusPurpose": s.purpose.value,
         "statusListIndex": str(s.list_index), "statusListCredential": s.list_url}
        for s in status
    ]
    return claims


def achievement_claims(
    *,
    achievement_id: str,
    achievement_type: AchievementType,
    name: str,
    name_km: str,
    description: str,
    criteria: str,
    alignment: list[Any],
    learning_hours: int | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": achievement_id, "type": ["Achievement"], "achievementType": achievement_type.value,
        "name": name, "nameKm": name_km, "description": description,
        "criteria": {"narrative": criteria}, "alignment": alignment,
    }
    if learning_hours is not None:
        out["learningHours"] = learning_hours
    return out
