"""What the visit page shows: the visit, its records and the forms for the next step."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from roomlog.extensions import db
from roomlog.models import Emergency, Incident, Referral, Room, ServiceRecord, Visit
from roomlog.models.codes import ReferralMode, ReferralTarget, ServiceCode
from roomlog.rooms.forms import ConsumptionForm, localise
from roomlog.services import visits
from roomlog.services.consumptions import active_consumptions, places


def place_choices(room: Room) -> list[tuple[str, Any, int, bool]]:
    """Return ``(value, kind, number, free)`` for every place of the room."""
    taken = {(c.place_kind, c.place_number) for c in active_consumptions(db.session, room)}
    return [(f"{kind.value}-{n}", kind, n, (kind, n) not in taken) for kind, n in places(room)]


def consumption_form(room: Room, form: ConsumptionForm | None = None) -> ConsumptionForm:
    """Return the consumption form with this room's free places."""
    form = form or ConsumptionForm(formdata=None)
    localise(form)
    form.place.choices = [(value, str(n)) for value, _kind, n, _free in place_choices(room)]
    return form


def _rows(model: type[Emergency | Referral | ServiceRecord | Incident], visit: Visit) -> list[Any]:
    return list(db.session.scalars(select(model).where(model.visit_id == visit.id).order_by(model.occurred_at)))


def context(room: Room, visit: Visit, form: ConsumptionForm | None = None) -> dict[str, Any]:
    """Return the template context of the visit page."""
    return {
        "room": room,
        "visit": visit,
        "known": visits.is_known(visit),
        "other_open": visits.other_open_visits(db.session, visit),
        "form": consumption_form(room, form),
        "places": place_choices(room),
        "active": [c for c in visit.consumptions if c.is_active],
        "emergencies": _rows(Emergency, visit),
        "referrals": _rows(Referral, visit),
        "services": _rows(ServiceRecord, visit),
        "incidents": _rows(Incident, visit),
        "referral_targets": list(ReferralTarget),
        "referral_modes": list(ReferralMode),
        "service_codes": list(ServiceCode),
    }
