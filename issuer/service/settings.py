"""The centre's own settings, changed by its admin on the settings page.

A setting without a row has its default. Each change is audited.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from issuer import audit
from issuer.db import CentreSetting, User, utcnow
from passport.errors import DocumentError

# Off by default: registration binds a person to a national ID number, and a centre decides
# to let assessors do it (a job fair with no registrar desk), rather than finding they can.
ASSESSOR_REGISTRATION = "assessor_registration"
DEFAULTS: dict[str, bool] = {ASSESSOR_REGISTRATION: False}


def enabled(session: Session, name: str) -> bool:
    row = session.get(CentreSetting, name)
    return DEFAULTS[name] if row is None else row.value == "on"


def set_enabled(session: Session, actor: User, name: str, on: bool) -> None:
    if name not in DEFAULTS:
        raise DocumentError("settings", [(name[:60], "no such setting")])
    row = session.get(CentreSetting, name)
    value = "on" if on else "off"
    if row is None:
        session.add(CentreSetting(name=name, value=value, changed_by=actor.id,
                                  changed_at=utcnow()))
    elif row.value != value:
        row.value, row.changed_by, row.changed_at = value, actor.id, utcnow()
    else:
        return
    session.flush()
    audit.append(session, actor.username, "settings.change", f"setting:{name}", {"value": value})
