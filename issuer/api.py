"""The JSON API (/api/...) and the public publication endpoints."""

from __future__ import annotations

import hashlib
import json
import mimetypes
from datetime import UTC, datetime
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, g, jsonify, redirect, request
from werkzeug.security import safe_join

from issuer import audit, service
from issuer.auth import public, roles
from issuer.db import CredentialRecord, User
from issuer.web_common import body, issuer, openapi, transaction
from passport.bundle import bundle_document
from passport.credential import Credential, StatusPurpose
from passport.errors import DocumentError
from passport.holder_bundle import passport_bundle
from passport.jws import parse

api = Blueprint("api", __name__, url_prefix="/api")
publish = Blueprint("publish", __name__)


def _user() -> User:
    user: User = g.user
    return user


def _created(payload: dict[str, Any]) -> tuple[Response, int]:
    return jsonify(payload), 201


@api.post("/candidates")
@roles("registrar", "admin")
def create_candidate() -> tuple[Response, int]:
    data = body("CandidateCreate")
    with transaction() as s:
        candidate = service.register_candidate(s, issuer(), _user(), data)
        return _created(service.candidate_json(candidate))


@api.get("/candidates")
@roles("registrar", "assessor", "admin")
def search_candidates() -> Response:
    q = request.args.get("q", "")[:80]
    with transaction() as s:
        return jsonify([service.candidate_json(c)
                        for c in service.search_candidates(s, issuer(), q)])


@api.get("/candidates/<int:candidate_id>")
@roles("registrar", "assessor", "admin")
def get_candidate(candidate_id: int) -> Response:
    with transaction() as s:
        candidate = service.get_candidate(s, candidate_id)
        creds = s.query(CredentialRecord).filter_by(candidate_id=candidate_id).all()
        return jsonify({**service.candidate_json(candidate),
                        "credentials": [service.credential_json(c) for c in creds]})


@api.get("/candidates/<int:candidate_id>/passport")
@roles("registrar", "assessor", "admin")
def candidate_passport(candidate_id: int) -> Response:
    with transaction() as s:
        service.get_candidate(s, candidate_id)
        creds = s.query(CredentialRecord).filter_by(candidate_id=candidate_id,
                                                    revoked=False).all()
        if not creds:
            raise service.NotFound("this candidate holds no valid credential yet")
        entries = [(Credential.from_payload(parse(c.jws).payload), c.jws, c.qr) for c in creds]
        return jsonify(passport_bundle(entries, datetime.now(UTC)))


@api.post("/evidence")
@roles("assessor")
def upload_evidence() -> tuple[Response, int]:
    upload = request.files.get("file")
    if upload is None:
        raise DocumentError("body", [("file", "send the evidence as multipart field 'file'")])
    data = upload.read(service.MAX_EVIDENCE_BYTES + 1)
    with transaction() as s:
        digest = service.store_evidence(s, issuer(), _user(), data, upload.mimetype or "")
    return _created({"sha256": digest, "ref": f"sha256:{digest}"})


@api.post("/assessments")
@roles("assessor")
def start_assessment() -> tuple[Response, int]:
    data = body("AssessmentCreate")
    with transaction() as s:
        record = service.start_assessment(s, _user(), data["candidateId"], data["rubricId"],
                                          data.get("date"))
        return _created(_assessment_json(record))


def _assessment_json(record: Any) -> dict[str, Any]:
    return {"id": record.id, "candidateId": record.candidate_id, "rubric": {
        "id": record.rubric_id, "version": record.rubric_version, "sha256": record.rubric_sha256},
        "date": record.date, "state": record.state, "judgments": record.judgments,
        "decision": record.decision}


@api.get("/assessments/<int:assessment_id>")
@roles("assessor", "admin")
def get_assessment(assessment_id: int) -> Response:
    with transaction() as s:
        return jsonify(_assessment_json(service.get_assessment(s, assessment_id)))


@api.put("/assessments/<int:assessment_id>/judgments")
@roles("assessor")
def put_judgments(assessment_id: int) -> Response:
    data = body("Judgments")
    with transaction() as s:
        record = service.record_judgments(s, _user(), assessment_id, data["judgments"])
        return jsonify(_assessment_json(record))


@api.post("/assessments/<int:assessment_id>/decision")
@roles("assessor")
def decide(assessment_id: int) -> Response:
    with transaction() as s:
        return jsonify(service.decide_assessment(s, _user(), assessment_id).to_json())


@api.post("/assessments/<int:assessment_id>/credential")
@roles("assessor")
def issue_assessment(assessment_id: int) -> tuple[Response, int]:
    data = body("IssueAssessment")
    with transaction() as s:
        record = service.issue_assessment(s, issuer(), _user(), assessment_id, data["nationalId"])
        return _created(service.credential_json(record))


@api.post("/trainings")
@roles("assessor")
def issue_training() -> tuple[Response, int]:
    data = body("TrainingIssue")
    with transaction() as s:
        return _created(service.credential_json(service.issue_training(s, issuer(), _user(),
                                                                       data)))


@api.get("/credentials/<credential_id>")
@roles("registrar", "assessor", "admin")
def get_credential(credential_id: str) -> Response:
    with transaction() as s:
        return jsonify(service.credential_json(service.get_credential(s, credential_id)))


def _status_change(credential_id: str, action: str) -> Response:
    data = body("StatusChange")
    with transaction() as s:
        record = service.set_status(s, _user(), credential_id, action, data["reason"])
        return jsonify(service.credential_json(record))


@api.post("/credentials/<credential_id>/revoke")
@roles("admin")
def revoke(credential_id: str) -> Response:
    return _status_change(credential_id, "revoke")


@api.post("/credentials/<credential_id>/suspend")
@roles("admin")
def suspend(credential_id: str) -> Response:
    return _status_change(credential_id, "suspend")


@api.post("/credentials/<credential_id>/reinstate")
@roles("admin")
def reinstate(credential_id: str) -> Response:
    return _status_change(credential_id, "reinstate")


@api.post("/users")
@roles("admin")
def create_user() -> tuple[Response, int]:
    data = body("UserCreate")
    with transaction() as s:
        user = service.create_user(s, _user().username, data["username"], data["password"],
                                   data["role"])
        return _created({"id": user.id, "username": user.username, "role": user.role})


@api.post("/tokens")
@roles("admin")
def create_token() -> tuple[Response, int]:
    data = body("TokenCreate")
    with transaction() as s:
        user = s.query(User).filter_by(username=data["username"]).one_or_none()
        if user is None:
            raise service.NotFound(f"no user {data['username']!r}")
        token = service.create_token(s, _user().username, user, data["name"])
    return _created({"token": token, "note": "shown once; store it now"})


@api.get("/audit")
@roles("admin")
def audit_chain() -> Response:
    with transaction() as s:
        report = audit.verify_chain(s)
    return jsonify({"entries": report.entries, "intact": report.intact,
                    "problems": report.problems})


# -- publication: cacheable, public, offline verifiers sync from here ------------------------

def _cacheable(data: bytes, media_type: str, modified: datetime) -> Response:
    etag = hashlib.sha256(data).hexdigest()[:32]
    response = Response(data, mimetype=media_type)
    response.set_etag(etag)
    response.headers["Last-Modified"] = format_datetime(modified.astimezone(UTC), usegmt=True)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.make_conditional(request)  # turns it into a 304 in place when the ETag matches
    return response


@publish.get("/.well-known/jwks.json")
@public
def jwks() -> Response:
    home = issuer().home
    doc = {"keys": [{**issuer().key.public.jwk(), "use": "sig", "alg": "EdDSA"}]}
    modified = datetime.fromtimestamp(home.key_file("issuer").stat().st_mtime, UTC)
    return _cacheable(json.dumps(doc).encode(), "application/jwk-set+json", modified)


@publish.get("/status/<purpose>/1")
@public
def status_list(purpose: str) -> Response:
    try:
        which = StatusPurpose(purpose)
    except ValueError:
        raise service.NotFound(f"no status list {purpose!r}") from None
    with transaction() as s:
        jws, valid_from = service.signed_status_list(s, issuer(), which, datetime.now(UTC))
    return _cacheable(jws.encode(), "application/vc+jwt", valid_from)


@publish.get("/trust-bundle.json")
@public
def trust_bundle() -> Response:
    home = issuer().home
    now = datetime.now(UTC)
    with transaction() as s:
        lists = [service.signed_status_list(s, issuer(), p, now) for p in StatusPurpose]
    signed_list = json.loads((home.root / "trust-list.json").read_bytes())
    latest = max(v for _, v in lists)
    doc = bundle_document(signed_list, [j for j, _ in lists], latest)
    return _cacheable(json.dumps(doc).encode(), "application/json", latest)


@publish.get("/openapi.json")
@public
def openapi_document() -> Response:
    return jsonify(openapi())




# -- the phone verifier page, served with this issuer's trust data ---------------------------

def _verifier_dist() -> Path:
    # The page is a built, static bundle shipped as package data beside the verifier; only
    # files are read here, no verifier code is imported.
    return Path(str(resources.files("verifier").joinpath("web", "dist")))


@publish.get("/verify")
@public
def verifier_root() -> Response:
    return redirect("/verify/")  # type: ignore[return-value]


@publish.get("/verify/")
@publish.get("/verify/<path:name>")
@public
def verifier_page(name: str = "index.html") -> Response:
    home = issuer().home
    if name == "trust-bundle.json":
        return trust_bundle()
    if name == "verifier-config.json":
        built = json.loads((_verifier_dist() / "build.json").read_text())
        roots = json.loads(home.root_pub_file.read_bytes())
        doc = {"rootKeys": roots["rootKeys"], **built}
        return _cacheable(json.dumps(doc).encode(), "application/json", datetime.now(UTC))
    dist = _verifier_dist()
    if not (dist / "app.js").exists():
        raise service.NotFound("the verifier page is not built (make run builds it)")
    path = safe_join(str(dist), name)
    if path is None or not Path(path).is_file():
        raise service.NotFound(f"no file {name!r}")
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if name.endswith(".webmanifest"):
        media = "application/manifest+json"
    response = Response(Path(path).read_bytes(), mimetype=media)
    if name == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/verify/"
        response.headers["Cache-Control"] = "no-cache"
    return response
