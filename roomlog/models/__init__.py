"""Typed SQLAlchemy 2.x models, one module per aggregate; importing this registers them all."""

from roomlog.models.accounts import ApiToken, LoginSession, LoginThrottle, RecoveryCode, User, room_memberships
from roomlog.models.audit import AuditEntry
from roomlog.models.base import Base
from roomlog.models.events import (
    EVENT_MODELS,
    Consumption,
    ConsumptionSubstance,
    Emergency,
    EmergencyActionRecord,
    Incident,
    Referral,
    RoomEvent,
    ServiceRecord,
    Visit,
)
from roomlog.models.organisation import Municipality, Room
from roomlog.models.periods import MonthlyAggregate, MonthlyHistory, PeriodStatus
from roomlog.models.visitors import Visitor

__all__ = [
    "EVENT_MODELS",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Consumption",
    "ConsumptionSubstance",
    "Emergency",
    "EmergencyActionRecord",
    "Incident",
    "LoginSession",
    "LoginThrottle",
    "MonthlyAggregate",
    "MonthlyHistory",
    "Municipality",
    "PeriodStatus",
    "RecoveryCode",
    "Referral",
    "Room",
    "RoomEvent",
    "ServiceRecord",
    "User",
    "Visit",
    "Visitor",
    "room_memberships",
]
