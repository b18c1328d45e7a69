"""Server-rendered pages for assessors, registrars and admins: Khmer and English, tablet-sized."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from issuer.auth import browser_session_key, public, roles, sign_in_browser
from issuer.db import AssessmentRecord, CredentialRecord, Evidence, User, utcnow
from issuer.security import form_id
from issuer.service import (
    accounts,
    assessments,
    candidates,
    credentials,
    downloads,
    drafts,
    evidence,
    identity,
    issuance,
    passwords,
    settings,
    status,
    worklist,
)
from issuer.service.errors import Conflict, NotFound, NotPrinted, Throttled
from issuer.web_common import centre, store, transaction, validate
from passport.errors import DocumentError, UsageError
from passport.printing import BookletEntry
from rpl_rubrics import catalogue

web = Blueprint("web", __name__)
LANGS = ("km", "en")


@cache
def translations(lang: str) -> dict[str, str]:
    text = resources.files("issuer").joinpath("i18n", f"{lang}.json").read_text(encoding="utf-8")
    table: dict[str, str] = json.loads(text)
    return table


def t(key: str, **params: object) -> str:
    lang = session.get("lang", "km")
    text = translations(lang).get(key) or translations("en").get(key, key)
    return text.format(**params) if params else text


@web.before_app_request
def language_from_query() -> None:
    """`?lang=km` on any page sets the language as the switch does (a link can name it)."""
    code = request.args.get("lang")
    if code in LANGS:
        session["lang"] = code


def reason_texts(unit: dict[str, Any]) -> list[str]:
    """A recorded decision's reasons for one unit, in the reader's language.

    Decisions record each reason as a message key and parameters (rpl_rubrics.engine.Reason);
    one recorded before that has only the English text, shown as it was written."""
    codes = unit.get("reasonCodes")
    if codes is None:
        return list(unit.get("reasons", []))
    out = []
    for code in codes:
        params = dict(code["params"])
        if code["key"] == "reason.critical_not_met":
            params["criteria"] = ", ".join(f"{cid} ({t(state)})" for cid, state in params["criteria"])
        out.append(t(code["key"], **params))
    return out


def credential_title(record: CredentialRecord) -> str:
    """The achievement's name in the reader's language (the record keeps the English one)."""
    if session.get("lang", "km") == "km":
        name_km = credentials.parsed(record).achievement.name_km
        if name_km:
            return name_km
    return record.title


def rubric_title(rubric_id: str, version: int) -> str:
    try:
        return catalogue.get(rubric_id, version).title.get(session.get("lang", "km"))
    except UsageError:
        return rubric_id


def problem_text(exc: UsageError) -> str:
    """A refusal for the page: messages the pages know in the reader's language, else as said."""
    if isinstance(exc, DocumentError) and [m for _, m in exc.problems] == [
            issuance.NATIONAL_ID_MISMATCH]:
        return t("msg.national_id_mismatch")
    if isinstance(exc, DocumentError) and [m for _, m in exc.problems] == [
            issuance.HOLD_EXPIRED]:
        return t("msg.hold_expired")
    return exc.diagnostics()


def assessor_may_register() -> bool:
    """The centre's setting: assessors register walk-ins (a job fair without a desk).

    Read on every page an assessor opens (the menu's link): a read-only transaction, which
    on SQLite never queues behind the writers."""
    if "may_register" in g:
        return bool(g.may_register)
    with store().read() as s:
        g.may_register = settings.enabled(s, settings.ASSESSOR_REGISTRATION)
    return bool(g.may_register)


def may_register() -> bool:
    user = g.get("user")
    return user is not None and (user.role in ("registrar", "admin") or (
        user.role == "assessor" and assessor_may_register()))


@web.app_context_processor
def context() -> dict[str, Any]:
    return {"t": t, "lang": session.get("lang", "km"), "user": g.get("user"),
            "reason_texts": reason_texts, "credential_title": credential_title,
            "rubric_title": rubric_title, "may_register": may_register}


Page = str | WerkzeugResponse


@web.get("/fonts/khmer.ttf")
@public
def khmer_font() -> Response:
    """The Noto Sans Khmer the cards use, so a tablet without a Khmer font still reads pages."""
    from passport.fonts import font_file

    response = Response(font_file("khmer").read_bytes(), mimetype="font/ttf")
    response.headers["Cache-Control"] = "public, max-age=604800"
    return response


@web.get("/lang/<code>")
@public
def language(code: str) -> WerkzeugResponse:
    if code in LANGS:
        session["lang"] = code
    target = request.referrer or url_for("web.home")
    return redirect(target if target.startswith(request.host_url) else url_for("web.home"))


@web.route("/login", methods=["GET", "POST"])
@public
def login() -> Page:
    if request.method == "POST":
        try:
            signed_in = accounts.sign_in(store(), request.form.get("username", ""),
                                         request.form.get("password", ""), request.remote_addr)
        except Throttled as exc:
            page = render_template("login.html", failed=False, throttled=exc.retry_after)
            return page, 429, {"Retry-After": str(exc.retry_after)}  # type: ignore[return-value]
        if signed_in is None:
            return render_template("login.html", failed=True), 401  # type: ignore[return-value]
        user, key = signed_in
        sign_in_browser(key)
        return redirect(url_for("web.change_password" if user.must_change_password
                                else "web.home"))
    return render_template("login.html", failed=False)


@web.post("/logout")
@roles("admin", "assessor", "registrar", before_password_change=True)
def logout() -> WerkzeugResponse:
    key = browser_session_key()
    if key is not None:
        with transaction() as s:
            accounts.close_session(s, key)  # every copy of this cookie stops working
    lang = session.get("lang", "km")
    session.clear()
    session["lang"] = lang
    return redirect(url_for("web.login"))


@web.route("/account/password", methods=["GET", "POST"])
@roles("admin", "assessor", "registrar", before_password_change=True)
def change_password() -> Page:
    """Your own password: required first after a one-time password."""
    error = None
    if request.method == "POST":
        new = request.form.get("newPassword", "")
        try:
            if new != request.form.get("repeatPassword", ""):
                raise DocumentError("password change", [("repeatPassword",
                                                         "the two new passwords differ")])
            key = accounts.change_password(store(), g.user.id,
                                           request.form.get("currentPassword", ""), new,
                                           request.remote_addr)
        except Throttled as exc:
            page = render_template("password.html", error=str(exc))
            return page, 429, {"Retry-After": str(exc.retry_after)}  # type: ignore[return-value]
        except UsageError as exc:
            error = exc.diagnostics()
        else:
            sign_in_browser(key)
            flash(t("password_changed"), "ok")
            return redirect(url_for("web.home"))
    return render_template("password.html", error=error), (400 if error else 200)  # type: ignore[return-value]


@web.get("/")
@public
def home() -> Page:
    if g.get("user") is None:
        return redirect(url_for("web.login"))
    if g.user.must_change_password:
        return redirect(url_for("web.change_password"))
    q = request.args.get("q", "")[:80]
    # An assessor's day is their own first; a registrar or admin watches the whole centre.
    scope = request.args.get("scope") or ("mine" if g.user.role == "assessor" else "centre")
    scope = scope if scope in ("mine", "centre") else "mine"
    with transaction() as s:
        found = candidates.search(s, centre(), q) if q else []
        identity.purge(s, utcnow())
        work = worklist.build(s, g.user, mine=scope == "mine", now=utcnow())
    return render_template("home.html", candidates=found, q=q, work=work, scope=scope)


@web.get("/candidates/new")
@roles("registrar", "admin", when={"assessor": assessor_may_register})
def new_candidate() -> Page:
    return render_template("candidate_new.html", error=None, form={})


@web.post("/candidates")
@roles("registrar", "admin", when={"assessor": assessor_may_register})
def create_candidate() -> Page:
    form: dict[str, Any] = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
    kept = dict(form)  # what was typed goes back into the form with the message
    form["languages"] = form.get("languages", "").split()
    year = form.get("birthYear", "")
    if year.isascii() and year.isdigit() and len(year) <= 4:
        form["birthYear"] = int(year)  # the schema's integer; anything else it refuses
    try:
        data = validate("CandidateCreate", {k: v for k, v in form.items() if v not in ("", [])},
                        source="form")
        with transaction() as s:
            candidate = candidates.register(s, centre(), g.user, data)
    except Conflict:
        return render_template("candidate_new.html", error=t("msg.already_registered"),
                               form=kept), 409  # type: ignore[return-value]
    except UsageError as exc:
        problems = exc.problems if isinstance(exc, DocumentError) else [("$", "")]
        fields = sorted({t(_field(where, message)) for where, message in problems})
        return render_template("candidate_new.html", error=t(
            "msg.registration_invalid", fields=", ".join(fields)),
            form=kept), 400  # type: ignore[return-value]
    return redirect(url_for("web.candidate", candidate_id=candidate.id))


# The registration form's fields and the translation keys of their labels.
_FORM_LABELS = {"nameKm": "name_km", "name": "name", "birthYear": "birth_year",
                "birthDate": "birth_year", "nationalId": "national_id", "phone": "phone",
                "province": "province", "occupationAbroad": "occupation_abroad",
                "languages": "languages"}


def _field(where: str, message: str) -> str:
    """The label's key of the field a schema problem is about ("$.birthYear", "birthDate", or
    "$" with "'nationalId' is a required property"), "reg.form" if none is named. (A message
    at "$" may quote the whole input: only its leading name is read.)"""
    name = where.removeprefix("$").removeprefix(".").split(".")[0].split("[")[0]
    if not name and message.endswith("is a required property"):
        name = next((f for f in _FORM_LABELS if message.startswith(f"'{f}'")), "")
    return _FORM_LABELS.get(name, "reg.form")


@web.get("/candidates/<int:candidate_id>")
@roles("registrar", "assessor", "admin")
def candidate(candidate_id: int) -> Page:
    with transaction() as s:
        c = candidates.get(s, candidate_id)
        creds = s.query(CredentialRecord).filter_by(candidate_id=candidate_id).all()
        assessments = s.query(AssessmentRecord).filter_by(candidate_id=candidate_id).all()
    return render_template("candidate.html", c=c, credentials=creds, assessments=assessments,
                           rubrics=list(catalogue.bundled().values()),
                           error=request.args.get("error"))


@web.post("/assessments")
@roles("assessor")
def create_assessment() -> WerkzeugResponse:
    candidate_id = _id(request.form.get("candidateId"))
    with transaction() as s:
        record = assessments.start(s, g.user, candidate_id, request.form.get("rubricId", ""))
    return redirect(url_for("web.assessment", assessment_id=record.id))


def _id(value: str | None) -> int:
    """A record's id from a form field: a 404 if no record can have it."""
    number = form_id(value)
    if number is None:
        raise NotFound(f"no record {(value or '')[:20]!r}")
    return number


def _number(value: str | None, largest: int) -> int:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(largest))) \
            or int(text) > largest:
        abort(400, description=f"a whole number from 0 to {largest} was expected")
    return int(text)


@web.get("/assessments/<int:assessment_id>")
@roles("assessor", "admin")
def assessment(assessment_id: int, problems: list[drafts.Problem] | None = None,
               engine_error: str | None = None) -> Page:
    with transaction() as s:
        a = assessments.get(s, assessment_id)
        c = candidates.get(s, a.candidate_id)
        rubric = catalogue.get(a.rubric_id, a.rubric_version)
        draft = drafts.current(rubric, a)
        earlier = drafts.previous(s, a)
        named = {*draft.get("files", []),
                 *(h for e in draft["criteria"].values() for h in e.get("files", []))}
        uploaded = {e.sha256: e for e in s.query(Evidence).filter(Evidence.sha256.in_(named))}
    by_place: dict[str, list[str]] = {}
    for p in problems or []:
        by_place.setdefault(p.where, []).append(_problem_text(p))
    before = {u["code"]: u["outcome"] for u in (earlier.decision or {}).get("units", [])} \
        if earlier else {}
    with transaction() as s:
        # Expired holds are deleted here and on the home page, which are open all day: a
        # refused issuance rolls back its own purge.
        identity.purge(s, utcnow())
        hold_until = identity.expires(s, c.id, utcnow())
    return render_template("assessment.html", a=a, c=c, rubric=rubric, draft=draft,
                           hold_until=hold_until,
                           problems=by_place, problem_count=len(problems or []),
                           engine_error=engine_error, decision=a.decision, earlier=earlier,
                           before=before, uploaded=uploaded, as_unit=drafts.AS_UNIT)


def _problem_text(problem: drafts.Problem) -> str:
    """A draft's problem in the page's language; method names are translated too."""
    values = {k: " / ".join(t(m) for m in v.split()) if k == "methods" else t(f"field.{v}")
              if k == "field" else v for k, v in problem.values.items()}
    try:
        return t(problem.key).format(**values)
    except (KeyError, IndexError, ValueError):  # a translation naming a value it is not given
        return t(problem.key)


@web.post("/assessments/<int:assessment_id>")
@roles("assessor")
def judge(assessment_id: int) -> Page:
    """Save the form as a draft first, whatever it holds, then judge and decide if it is
    complete. Nothing entered is lost: a problem re-renders the saved draft beside it."""
    with transaction() as s:
        a = assessments.get(s, assessment_id)
        drafts.check_writer(g.user, a)  # before any upload of the request is stored
        rubric = catalogue.get(a.rubric_id, a.rubric_version)
        kept = drafts.current(rubric, a)
        day = a.date
    keys = {c.key for u in rubric.units for c in u.criteria}
    uploads = [("", f) for f in request.files.getlist("evidence")] + [
        (name.removeprefix("file:"), f) for name, f in request.files.items(multi=True)
        if name.startswith("file:") and name.removeprefix("file:") in keys]
    new_files: dict[str, list[str]] = {}
    problems: list[drafts.Problem] = []
    for key, f in uploads:
        if not f.filename:
            continue
        try:  # one file at a time: a refused photo does not take the others with it
            with transaction() as s:
                digest = evidence.store(s, centre(), g.user, f.read(evidence.MAX_BYTES + 1),
                                        f.mimetype or "")
            new_files.setdefault(key, []).append(digest)
        except UsageError:
            problems.append(drafts.Problem(key or "files", "err.file",
                                           {"name": f.filename[:60], "type": f.mimetype or "?"}))
    draft = drafts.from_form(rubric, request.form, kept, new_files)
    with transaction() as s:
        drafts.save(s, g.user, assessments.get(s, assessment_id), draft)
    if request.form.get("action") == "draft":
        if not problems:
            flash(t("draft_saved"))
            return redirect(url_for("web.assessment", assessment_id=assessment_id))
        return assessment(assessment_id, problems=problems), 400  # type: ignore[return-value]
    planned, found = drafts.check(rubric, date.fromisoformat(day), draft)
    problems += found
    if problems:
        return assessment(assessment_id, problems=problems), 400  # type: ignore[return-value]
    try:
        with transaction() as s:
            a = assessments.get(s, assessment_id)
            judged = drafts.judgments(s, centre(), g.user, a, planned)
            assessments.record_judgments(s, g.user, assessment_id, judged)
            assessments.decide_recorded(s, g.user, assessment_id)
    except UsageError as exc:  # what only the engine sees (a rubric changed under the form...)
        return assessment(assessment_id, engine_error=exc.diagnostics()), 400  # type: ignore[return-value]
    flash(t("decided"))
    return redirect(url_for("web.assessment", assessment_id=assessment_id))


@web.post("/assessments/<int:assessment_id>/credential")
@roles("assessor")
def issue_assessment(assessment_id: int) -> Page:
    try:
        with transaction() as s:
            record = issuance.issue_assessment(
                s, centre(), g.user, assessment_id, request.form.get("nationalId", ""),
                checked_at_registration=request.form.get("checkedAtRegistration") == "1")
    except UsageError as exc:
        return assessment(assessment_id, engine_error=problem_text(exc)), 400  # type: ignore[return-value]
    return redirect(url_for("web.credential", credential_id=record.id))


@web.post("/trainings")
@roles("assessor")
def create_training() -> Page:
    f = request.form
    candidate_id = _id(f.get("candidateId"))
    body: dict[str, Any] = {"candidateId": candidate_id, "nationalId": f.get("nationalId", ""),
            "course": {"id": f.get("courseId", ""), "version": 1,
                       "title": {"en": f.get("titleEn", ""), "km": f.get("titleKm", "")},
                       "hours": _number(f.get("hours"), 10_000), "isco08": f.get("isco08", ""),
                       "cqfLevel": f.get("cqfLevel", "")},
            "start": f.get("start", ""), "end": f.get("end", "")}
    try:
        with transaction() as s:
            record = issuance.issue_training(s, centre(), g.user,
                                             validate("TrainingIssue", body, source="form"))
    except UsageError as exc:
        return redirect(url_for("web.candidate", candidate_id=candidate_id,
                                error=problem_text(exc)))
    return redirect(url_for("web.credential", credential_id=record.id))


@web.get("/credentials/<credential_id>")
@roles("registrar", "assessor", "admin")
def credential(credential_id: str, link: downloads.Link | None = None) -> Page:
    with transaction() as s:
        cr = credentials.get(s, credential_id)
    svg = Markup(segno.make_qr(cr.qr, error="q").svg_inline(scale=3))
    shown: dict[str, Any] = {}
    if link is not None:
        url = link.url(request.url_root)
        shown = {"link": url, "link_expires": link.expires_at.date().isoformat(),
                 "link_svg": Markup(segno.make_qr(url, error="m").svg_inline(scale=4))}
    return render_template("credential.html", cr=cr, qr_svg=svg,
                           actions=status.applicable(cr, g.user.role),
                           download_roles=downloads.ROLES, **shown)


@web.post("/credentials/<credential_id>/download-link")
@roles(*downloads.ROLES)
def download_link(credential_id: str) -> Page:
    """A one-time link for the holder's phone to fetch this credential: shown once, here."""
    try:
        with transaction() as s:
            link = downloads.for_credential(s, g.user, credential_id, utcnow())
    except Conflict:  # revoked or suspended meanwhile
        flash(t("download.not_valid"), "error")
        return redirect(url_for("web.credential", credential_id=credential_id))
    return credential(link.credential_ids[0], link=link)


STATUS_ROLES = tuple(sorted({r for rs in status.ACTION_ROLES.values() for r in rs}))


def _status_action(credential_id: str, action: str) -> CredentialRecord:
    """The credential, if `action` applies to it now and the user's role may take it."""
    with transaction() as s:
        cr = credentials.get(s, credential_id)
    if action not in status.ACTIONS:
        raise NotFound(f"no status action {action[:20]!r}")
    if g.user.role not in status.ACTION_ROLES[action]:
        abort(403)
    return cr


@web.get("/credentials/<credential_id>/status/<action>")
@roles(*STATUS_ROLES)
def confirm_status(credential_id: str, action: str, error: str | None = None,
                   reason: str = "") -> Page:
    """The confirmation step: what will happen, and why (the reason is kept in the audit)."""
    cr = _status_action(credential_id, action)
    if action not in status.applicable(cr, g.user.role):
        flash(t(f"status.not_applicable.{action}"), "error")
        return redirect(url_for("web.credential", credential_id=cr.id))
    return render_template("status_confirm.html", cr=cr, action=action, error=error,
                           reason=reason, min_reason=status.MIN_REASON,
                           max_reason=status.MAX_REASON)


@web.post("/credentials/<credential_id>/status/<action>")
@roles(*STATUS_ROLES)
def credential_status(credential_id: str, action: str) -> Page:
    cr = _status_action(credential_id, action)
    reason = request.form.get("reason", "")[:status.MAX_REASON + 1]
    try:
        with transaction() as s:
            status.change(s, centre(), g.user, cr.id, action, reason)
    except Conflict:  # changed meanwhile (someone else got there first)
        flash(t(f"status.not_applicable.{action}"), "error")
    except UsageError as exc:
        if isinstance(exc, DocumentError) and [w for w, _ in exc.problems] == ["reason"]:
            # Too short, too long, control characters: asked again, kept as typed.
            return confirm_status(cr.id, action, error=t(  # type: ignore[return-value]
                "status.reason_invalid", min=status.MIN_REASON, max=status.MAX_REASON),
                reason=reason[:status.MAX_REASON]), 400
        flash(problem_text(exc), "error")  # the centre cannot sign now (a key retired, say)
    else:
        flash(t(f"status.done.{action}"), "ok")
    return redirect(url_for("web.credential", credential_id=cr.id))


def _entries(records: list[CredentialRecord]) -> list[BookletEntry]:
    from rpl_rubrics.catalogue import unit_title_pairs

    profile = centre().profile
    out = []
    for r in records:
        cred = credentials.parsed(r)
        out.append(BookletEntry(cred, r.qr, (profile.name, profile.name_km),
                                unit_title_pairs(cred.achievement.id)))
    return out


def _address() -> str:
    return centre().profile.verifier_address


def _valid_records(candidate_id: int) -> list[CredentialRecord]:
    """The candidate's credentials to print: `NotPrinted` when there is none, saying why."""
    with transaction() as s:
        candidates.get(s, candidate_id)
        every = s.query(CredentialRecord).filter_by(candidate_id=candidate_id).all()
    records = [r for r in every if not (r.revoked or r.suspended)]
    if not every:
        raise NotPrinted("not printed: this candidate holds no credential yet",
                         "not_printed.none")
    if not records:
        raise NotPrinted("not printed: every credential of this candidate is revoked or "
                         "suspended", "not_printed.all_withdrawn")
    return records


@web.get("/credentials/<credential_id>/card.png")
@roles("registrar", "admin")
def card(credential_id: str) -> Response:
    from passport.card import render
    from passport.printing import card_face

    with transaction() as s:
        record = credentials.get(s, credential_id)
    if record.revoked or record.suspended:
        raise NotPrinted.credential(record.revoked, record.status_reason)
    png = render(card_face(_entries([record])[0], _address())).to_png()
    return Response(png, mimetype="image/png",
                    headers={"Content-Disposition": f'inline; filename="{credential_id[-12:]}.png"'})


@web.get("/candidates/<int:candidate_id>/booklet.pdf")
@roles("registrar", "admin")
def booklet(candidate_id: int) -> Response:
    """The booklet of the candidate's valid credentials, without a download link: opening
    it, reloading it or previewing it changes nothing."""
    return _booklet(_valid_records(candidate_id), None)


@web.post("/candidates/<int:candidate_id>/booklet.pdf")
@roles(*downloads.ROLES)
def booklet_with_link(candidate_id: int) -> Response:
    """The booklet, its cover carrying a fresh one-time link to the credentials it prints:
    made only by this form (CSRF-checked), audited as such, one link per press."""
    records = _valid_records(candidate_id)
    with transaction() as s:
        link = downloads.create(s, g.user, candidate_id, [r.id for r in records], utcnow())
    return _booklet(records, link)


def _booklet(records: list[CredentialRecord], link: downloads.Link | None) -> Response:
    from passport.printing import HolderLink, booklet_pages, pdf

    holder = None if link is None else HolderLink(link.url(request.url_root),
                                                  link.expires_at.date())
    pages = booklet_pages(_entries(records), printed=date.today(), link=holder)
    return Response(pdf(pages), mimetype="application/pdf")


@web.get("/candidates/<int:candidate_id>/passport.json")
@roles("registrar", "assessor", "admin")
def passport_file(candidate_id: int) -> Response:
    """The candidate's passport bundle file, as the API gives it."""
    with transaction() as s:
        held = s.query(CredentialRecord).filter_by(candidate_id=candidate_id).count()
        if held and not s.query(CredentialRecord).filter_by(candidate_id=candidate_id,
                                                             revoked=False).count():
            raise NotPrinted("no passport file: every credential of this candidate is revoked",
                             "not_printed.all_revoked")
        doc = candidates.passport(s, candidate_id, utcnow())
    return Response(json.dumps(doc, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition":
                             f'attachment; filename="passport-{candidate_id}.json"'})


@web.get("/candidates/<int:candidate_id>/sheet.pdf")
@roles("registrar", "admin")
def sheet(candidate_id: int) -> Response:
    from passport.card import render
    from passport.printing import card_face, pdf, sheet_pages

    cards = [render(card_face(e, _address())) for e in _entries(_valid_records(candidate_id))]
    return Response(pdf(sheet_pages(cards)), mimetype="application/pdf")


@web.route("/admin/users", methods=["GET", "POST"])
@roles("admin")
def users() -> Page:
    """People's accounts. A new account's password is made here and shown once: the person
    chooses their own at first sign-in."""
    error = shown = None
    if request.method == "POST":
        try:
            password = passwords.one_time()
            username = request.form.get("username", "")
            with transaction() as s:
                accounts.create_user(s, g.user.username, username, password,
                                     request.form.get("role", ""), one_time=True)
            shown = f"{username}: {t('one_time_password')} {password}"
        except UsageError as exc:
            error = exc.diagnostics()
    return _users_page(error, shown)


def _users_page(error: str | None, shown: str | None) -> Page:
    with transaction() as s:
        everyone = accounts.users(s)
    return render_template("users.html", all_users=everyone, error=error, shown=shown), \
        (400 if error else 200)  # type: ignore[return-value]


@web.post("/admin/users/<int:user_id>/password-reset")
@roles("admin")
def reset_password(user_id: int) -> Page:
    with transaction() as s:
        user, password = accounts.reset_password(s, g.user.username, user_id)
    return _users_page(None, f"{user.username}: {t('one_time_password')} {password}")


@web.post("/admin/users/<int:user_id>/active")
@roles("admin")
def user_active(user_id: int) -> WerkzeugResponse:
    with transaction() as s:
        accounts.set_active(s, g.user, user_id, request.form.get("active") == "1")
    return redirect(url_for("web.users"))


@web.route("/admin/settings", methods=["GET", "POST"])
@roles("admin")
def centre_settings() -> Page:
    if request.method == "POST":
        with transaction() as s:
            settings.set_enabled(s, g.user, settings.ASSESSOR_REGISTRATION,
                                 request.form.get(settings.ASSESSOR_REGISTRATION) == "on")
        flash(t("settings.saved"), "ok")
        return redirect(url_for("web.centre_settings"))
    with transaction() as s:
        values = {name: settings.enabled(s, name) for name in settings.DEFAULTS}
    return render_template("settings.html", values=values)


@web.route("/admin/tokens", methods=["GET", "POST"])
@roles("admin")
def tokens() -> Page:
    """API tokens: named, for one user, expiring; the token itself is shown once."""
    error = shown = None
    if request.method == "POST":
        try:
            days = _number(request.form.get("days"), accounts.MAX_TOKEN_DAYS)
            with transaction() as s:
                user = s.get(User, _id(request.form.get("userId")))
                if user is None:
                    raise NotFound("no such user")
                shown = accounts.create_token(s, g.user.username, user,
                                              request.form.get("name", "").strip()[:80] or "token",
                                              days=days or None)
        except UsageError as exc:
            error = exc.diagnostics()
    with transaction() as s:
        listed, people = accounts.tokens(s), accounts.users(s)
    return render_template("tokens.html", tokens=listed, people=people, shown=shown,
                           error=error, default_days=accounts.TOKEN_DAYS), \
        (400 if error else 200)  # type: ignore[return-value]


@web.post("/admin/tokens/<int:token_id>/revoke")
@roles("admin")
def revoke_token(token_id: int) -> WerkzeugResponse:
    with transaction() as s:
        accounts.revoke_token(s, g.user.username, token_id)
    return redirect(url_for("web.tokens"))


@web.get("/admin/keys")
@roles("admin")
def keys(requested: str | None = None, error: str | None = None) -> Page:
    from issuer.service import keys as centre_keys

    views = centre_keys.key_views(centre(), utcnow())
    return render_template("keys.html", keys=views, requested=requested or request.args.get(
        "requested"), error=error)


@web.post("/admin/keys")
@roles("admin")
def rotate_key() -> Page:
    from issuer.service import keys as centre_keys

    try:
        with transaction() as s:
            kid, _ = centre_keys.request_rotation(s, centre(), g.user, utcnow())
    except UsageError as exc:
        return keys(error=exc.diagnostics()), 409  # type: ignore[return-value]
    return redirect(url_for("web.keys", requested=kid))


@web.get("/admin/keys/<kid>/rotation-request.json")
@roles("admin")
def rotation_request(kid: str) -> Response:
    path = centre().home.root / f"key-rotation-request-{kid}.json"
    if kid not in centre().keys or not path.is_file():
        raise NotFound(f"no rotation request for key {kid[:20]!r}")
    return Response(path.read_bytes(), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="key-rotation-request-{kid}.json"'})


@web.get("/admin/keys/<kid>/issuance-record.jwt")
@roles("admin")
def issuance_record(kid: str) -> Response:
    from issuer.service import keys as centre_keys

    with transaction() as s:
        record = centre_keys.issuance_record(s, centre(), g.user, kid, utcnow())
    return Response(record.compact, mimetype="application/jwt", headers={
        "Content-Disposition": f'attachment; filename="issuance-record-{kid}.jwt"'})
