"""Typed SQLAlchemy 2.x models, one module per aggregate; importing this registers them all."""

from roomlog.models.accounts import ApiToken, LoginSession, LoginThrottle, RecoveryCode, User, room_memberships
from roomlog.models.audit import AuditEntry
from roomlog.models.base import Base
from roomlog.models.events import (
    EVENT_KINDS,
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
from roomlog.models.pool import PermitEvent, PoolApplication, PoolApplicationYear, PoolPayment
from roomlog.models.publication import Publication, PublishedCell
from roomlog.models.room_months import (
    MonthlyAggregate,
    MonthlyDetail,
    MonthlyHistory,
    PeriodStatus,
    RoomVisitorSet,
    YearlyHistory,
)
from roomlog.models.visitors import Visitor

__all__ = [
    "EVENT_KINDS",
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
    "MonthlyDetail",
    "MonthlyHistory",
    "Municipality",
    "PeriodStatus",
    "PermitEvent",
    "PoolApplication",
    "PoolApplicationYear",
    "PoolPayment",
    "Publication",
    "PublishedCell",
    "RecoveryCode",
    "Referral",
    "Room",
    "RoomEvent",
    "RoomVisitorSet",
    "ServiceRecord",
    "User",
    "Visit",
    "Visitor",
    "YearlyHistory",
    "room_memberships",
]
