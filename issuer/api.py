"""The JSON API (/api/...), the public publication endpoints, and the holder's one-time
download (POST /passport/download)."""

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

from issuer import audit
from issuer.auth import browser_session_key, public, roles, sign_in_browser, token_in_body
from issuer.db import CredentialRecord, User, utcnow
from issuer.service import (
    accounts,
    assessments,
    candidates,
    credentials,
    downloads,
    evidence,
    issuance,
    passwords,
    publication,
    status,
)
from issuer.service.errors import NotFound
from issuer.web_common import body, centre, openapi, store, transaction
from passport import contexts
from passport.errors import DocumentError

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
        candidate = candidates.register(s, centre(), _user(), data)
        return _created(candidates.to_json(candidate))


@api.get("/candidates")
@roles("registrar", "assessor", "admin")
def search_candidates() -> Response:
    q = request.args.get("q", "")[:80]
    with transaction() as s:
        return jsonify([candidates.to_json(c) for c in candidates.search(s, centre(), q)])


@api.get("/candidates/<int:candidate_id>")
@roles("registrar", "assessor", "admin")
def get_candidate(candidate_id: int) -> Response:
    with transaction() as s:
        candidate = candidates.get(s, candidate_id)
        creds = s.query(CredentialRecord).filter_by(candidate_id=candidate_id).all()
        return jsonify({**candidates.to_json(candidate),
                        "credentials": [credentials.to_json(c) for c in creds]})


@api.get("/candidates/<int:candidate_id>/passport")
@roles("registrar", "assessor", "admin")
def candidate_passport(candidate_id: int) -> Response:
    with transaction() as s:
        return jsonify(candidates.passport(s, candidate_id, datetime.now(UTC)))


@api.post("/evidence")
@roles("assessor")
def upload_evidence() -> tuple[Response, int]:
    upload = request.files.get("file")
    if upload is None:
        raise DocumentError("body", [("file", "send the evidence as multipart field 'file'")])
    data = upload.read(evidence.MAX_BYTES + 1)
    with transaction() as s:
        digest = evidence.store(s, centre(), _user(), data, upload.mimetype or "")
    return _created({"sha256": digest, "ref": f"sha256:{digest}"})


@api.post("/assessments")
@roles("assessor")
def start_assessment() -> tuple[Response, int]:
    data = body("AssessmentCreate")
    with transaction() as s:
        record = assessments.start(s, _user(), data["candidateId"], data["rubricId"],
                                   data.get("date"))
        return _created(assessments.to_json(record))


@api.get("/assessments/<int:assessment_id>")
@roles("assessor", "admin")
def get_assessment(assessment_id: int) -> Response:
    with transaction() as s:
        return jsonify(assessments.to_json(assessments.get(s, assessment_id)))


@api.put("/assessments/<int:assessment_id>/judgments")
@roles("assessor")
def put_judgments(assessment_id: int) -> Response:
    data = body("Judgments")
    with transaction() as s:
        record = assessments.record_judgments(s, _user(), assessment_id, data["judgments"])
        return jsonify(assessments.to_json(record))


@api.post("/assessments/<int:assessment_id>/decision")
@roles("assessor")
def decide(assessment_id: int) -> Response:
    with transaction() as s:
        return jsonify(assessments.decide_recorded(s, _user(), assessment_id).to_json())


@api.post("/assessments/<int:assessment_id>/credential")
@roles("assessor")
def issue_assessment(assessment_id: int) -> tuple[Response, int]:
    data = body("IssueAssessment")
    with transaction() as s:
        record = issuance.issue_assessment(
            s, centre(), _user(), assessment_id, data["nationalId"],
            checked_at_registration=data.get("checkedAtRegistration", False) is True)
        return _created(credentials.to_json(record))


@api.post("/trainings")
@roles("assessor")
def issue_training() -> tuple[Response, int]:
    data = body("TrainingIssue")
    with transaction() as s:
        return _created(credentials.to_json(issuance.issue_training(s, centre(), _user(), data)))


@api.get("/credentials/<credential_id>")
@roles("registrar", "assessor", "admin")
def get_credential(credential_id: str) -> Response:
    with transaction() as s:
        return jsonify(credentials.to_json(credentials.get(s, credential_id)))


def _status_change(credential_id: str, action: str) -> Response:
    data = body("StatusChange")
    with transaction() as s:
        record = status.change(s, centre(), _user(), credential_id, action, data["reason"])
        return jsonify(credentials.to_json(record))


@api.post("/credentials/<credential_id>/revoke")
@roles(*status.ACTION_ROLES["revoke"])
def revoke(credential_id: str) -> Response:
    return _status_change(credential_id, "revoke")


@api.post("/credentials/<credential_id>/suspend")
@roles(*status.ACTION_ROLES["suspend"])
def suspend(credential_id: str) -> Response:
    return _status_change(credential_id, "suspend")


@api.post("/credentials/<credential_id>/reinstate")
@roles(*status.ACTION_ROLES["reinstate"])
def reinstate(credential_id: str) -> Response:
    return _status_change(credential_id, "reinstate")


@api.get("/users")
@roles("admin")
def list_users() -> Response:
    with transaction() as s:
        return jsonify([accounts.user_to_json(u) for u in accounts.users(s)])


@api.post("/users")
@roles("admin")
def create_user() -> tuple[Response, int]:
    """The account's first password is one-time: the admin's, or one made here and shown once."""
    data = body("UserCreate")
    password = data.get("password") or passwords.one_time()
    with transaction() as s:
        user = accounts.create_user(s, _user().username, data["username"], password,
                                    data["role"], one_time=True)
        shown = {} if "password" in data else {"oneTimePassword": password}
        return _created({**accounts.user_to_json(user), **shown})


@api.post("/users/<int:user_id>/password-reset")
@roles("admin")
def reset_password(user_id: int) -> Response:
    with transaction() as s:
        user, password = accounts.reset_password(s, _user().username, user_id)
        return jsonify({**accounts.user_to_json(user), "oneTimePassword": password,
                        "note": "shown once; the user must change it at sign-in"})


@api.post("/users/<int:user_id>/deactivate")
@roles("admin")
def deactivate_user(user_id: int) -> Response:
    with transaction() as s:
        return jsonify(accounts.user_to_json(accounts.set_active(s, _user(), user_id, False)))


@api.post("/users/<int:user_id>/activate")
@roles("admin")
def activate_user(user_id: int) -> Response:
    with transaction() as s:
        return jsonify(accounts.user_to_json(accounts.set_active(s, _user(), user_id, True)))


@api.post("/account/password")
@roles("admin", "assessor", "registrar", before_password_change=True)
def change_password() -> Response:
    """Your own password; a browser session that asked stays signed in, every other ends."""
    data = body("PasswordChange")
    key = accounts.change_password(store(), _user().id, data["currentPassword"],
                                   data["newPassword"], request.remote_addr)
    if browser_session_key() is not None:
        sign_in_browser(key)
    return jsonify({"changed": True})


@api.get("/tokens")
@roles("admin")
def list_tokens() -> Response:
    with transaction() as s:
        return jsonify([t.to_json() for t in accounts.tokens(s)])


@api.post("/tokens")
@roles("admin")
def create_token() -> tuple[Response, int]:
    data = body("TokenCreate")
    with transaction() as s:
        user = s.query(User).filter_by(username=data["username"]).one_or_none()
        if user is None:
            raise NotFound(f"no user {data['username'][:60]!r}")
        token = accounts.create_token(s, _user().username, user, data["name"],
                                      days=data.get("expiresInDays", accounts.TOKEN_DAYS))
    return _created({"token": token, "note": "shown once; store it now"})


@api.post("/tokens/<int:token_id>/revoke")
@roles("admin")
def revoke_token(token_id: int) -> Response:
    with transaction() as s:
        return jsonify(accounts.revoke_token(s, _user().username, token_id).to_json())


@api.get("/audit")
@roles("admin")
def audit_chain() -> Response:
    with transaction() as s:
        report = audit.verify_chain(s)
    return jsonify({"entries": report.entries, "intact": report.intact,
                    "problems": report.problems})


# -- publication: cacheable, public, offline verifiers sync from here ------------------------

def _published(doc: publication.Document) -> Response:
    """A cached document with ETag and Last-Modified; a matching If-None-Match gets a 304
    without the body being built."""
    if request.if_none_match.contains_weak(doc.etag):  # If-None-Match compares weakly
        response = Response(status=304)
    else:
        response = Response(doc.build(), mimetype=doc.media_type)
    response.set_etag(doc.etag)
    response.headers["Last-Modified"] = format_datetime(doc.modified.astimezone(UTC), usegmt=True)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _cacheable(data: bytes, media_type: str, modified: datetime) -> Response:
    etag = hashlib.sha256(data).hexdigest()[:32]
    return _published(publication.Document(etag, modified, media_type, lambda: data))


@publish.get("/.well-known/jwks.json")
@public
def jwks() -> Response:
    home = centre().home
    # Every key of the centre, the retired ones too: credentials they signed stay checkable.
    doc = {"keys": [{**k.public.jwk(), "use": "sig", "alg": "EdDSA"}
                    for k in centre().keys.values()]}
    modified = datetime.fromtimestamp(home.key_file("issuer").stat().st_mtime, UTC)
    return _cacheable(json.dumps(doc).encode(), "application/jwk-set+json", modified)


@publish.get("/status/<purpose>/<number>")
@public
def status_list(purpose: str, number: str) -> Response:
    return _published(publication.status_list(store(), centre(), purpose, number))


@publish.get("/trust-bundle.json")
@public
def trust_bundle() -> Response:
    return _published(publication.trust_bundle(store(), centre()))


@publish.get("/openapi.json")
@public
def openapi_document() -> Response:
    return jsonify(openapi())


@publish.get("/contexts/skills-passport/v1")
@public
def context_v1() -> Response:
    """The JSON-LD context v1 cards name (by its w3id.org URL, which redirects to a published
    copy like this one): the bundled bytes, which never change for v1, so they may be cached
    for a day and read by any origin (JSON-LD processors in browsers fetch across origins)."""
    data = contexts.context_bytes(contexts.CONTEXT_V1)
    # The release date, not a file time: every issuer process answers the same.
    response = _cacheable(data, contexts.MEDIA_TYPE, contexts.RELEASED[contexts.CONTEXT_V1])
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response




@publish.post("/passport/download")
@token_in_body
def passport_download() -> Response:
    """A one-time download link, redeemed: the holder's phone page (/verify/holder.html)
    posts {"token": ...} from its link and gets the passport bundle of the credentials the
    link covers. The token is the only authority; the answer is never cached."""
    data = body("PassportDownload")
    bundle = downloads.fetch(store(), data["token"], request.remote_addr, utcnow())
    response = jsonify(bundle)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the phone verifier page, served with this issuer's trust data ---------------------------

def verifier_dist() -> Path:
    # The page is a built, static bundle shipped as package data beside the verifier; only
    # files are read here, no verifier code is imported.
    return Path(str(resources.files("verifier").joinpath("web", "dist")))


@publish.get("/verify")
@public
def verifier_root() -> Response:
    return redirect("/verify/")  # type: ignore[return-value]


def _verifier_config(dist: Path) -> bytes:
    """The page's pin: this centre's root keys and how many of them must sign (absent: 1)."""
    built = json.loads((dist / "build.json").read_text())
    roots = json.loads(centre().home.root_pub_file.read_bytes())
    doc = {"rootKeys": roots["rootKeys"], **built}
    if "threshold" in roots:
        doc["threshold"] = roots["threshold"]
    return json.dumps(doc).encode()


@publish.get("/verify/")
@publish.get("/verify/<path:name>")
@public
def verifier_page(name: str = "index.html") -> Response:
    dist = verifier_dist()
    if not (dist / "app.js").exists():
        raise NotFound("the verifier page is not built (make run builds it)")
    if name == "trust-bundle.json":
        response = trust_bundle()
    elif name == "verifier-config.json":
        response = _cacheable(_verifier_config(dist), "application/json", datetime.now(UTC))
    else:
        path = safe_join(str(dist), name)
        if path is None or not Path(path).is_file():
            raise NotFound(f"no file {name!r}")
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.endswith(".webmanifest"):
            media = "application/manifest+json"
        data = Path(path).read_bytes()
        if name == "sw.js":
            # The pin written into the service worker, which answers verifier-config.json from
            # its own text: a root a script puts into the page's cache is never served.
            placeholder = b'"__CONFIG__"'
            if data.count(placeholder) != 1:
                raise NotFound("the verifier page's sw.js has no place for the pin: rebuild it")
            data = data.replace(placeholder,
                                json.dumps(_verifier_config(dist).decode()).encode())
        response = Response(data, mimetype=media)
        if name == "sw.js":
            response.headers["Service-Worker-Allowed"] = "/verify/"
            response.headers["Cache-Control"] = "no-cache"
    return response  # headers, the page's policy among them: issuer/security.py
