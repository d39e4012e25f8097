"""Passwords: argon2id at or above OWASP's minimum, re-hash on login, NIST SP 800-63B rules."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from argon2.low_level import Type
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.i18n import message
from roomlog.models import User
from roomlog.models.codes import Role
from roomlog.services import DomainError
from roomlog.services.accounts import check_password
from roomlog.services.passwords import (
    common_passwords,
    hash_password,
    is_common,
    needs_rehash,
    password_problems,
    verify_password,
)
from tests.support.apps import AuthActions
from tests.support.factories import Factory


def test_default_hasher_is_argon2id_at_or_above_the_owasp_minimum() -> None:
    ph = PasswordHasher()  # what production uses (no ARGON2_PARAMS outside tests)
    assert ph.type is Type.ID
    # OWASP Password Storage Cheat Sheet: m ≥ 19 MiB, t ≥ 2, p ≥ 1 (or an equivalent trade-off).
    assert ph.memory_cost >= 19 * 1024 and ph.time_cost >= 2 and ph.parallelism >= 1
    assert hash_password.__module__ == "roomlog.services.passwords"


@pytest.mark.rollback
def test_stored_hash_is_argon2id_and_verifies(app: Flask) -> None:
    params = app.config["ARGON2_PARAMS"]
    digest = hash_password("a long enough passphrase", params)
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "a long enough passphrase", params)
    assert not verify_password(digest, "a long enough passphrasE", params)
    assert not verify_password(None, "anything", params) and not verify_password("not-a-hash", "x", params)


def test_login_rehashes_a_hash_with_weaker_parameters(
    app: Flask, make: Factory, auth: AuthActions, dbs: Session
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(Factory.PASSWORD)
    user = make.user(Role.STAFF, rooms=[make.room()], username="old")
    user.password_hash = weak
    dbs.commit()
    params = app.config["ARGON2_PARAMS"]  # what the login view passes
    assert needs_rehash(weak, params)
    assert auth.login("old").status_code == 302
    dbs.expire_all()
    stored = dbs.get(User, user.id).password_hash
    assert stored != weak
    assert not needs_rehash(stored, params)
    assert verify_password(stored, Factory.PASSWORD, params)


def test_current_hash_is_not_rewritten_on_login(make: Factory, auth: AuthActions, dbs: Session) -> None:
    user = make.user(Role.STAFF, rooms=[make.room()], username="fresh")
    before = user.password_hash
    auth.login("fresh")
    dbs.expire_all()
    assert dbs.get(User, user.id).password_hash == before


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # a passphrase with spaces
        "rødgrød med fløde på",  # Danish letters
        "Ω≈ç√∫ unicode is fine 🙂",
        "x" * 12 + "yz12",  # no composition rule needed
        "a" * 30 + "bcdefghij" * 20,  # long (≤ 256)
    ],
)
def test_long_and_unicode_passwords_are_accepted(app: Flask, password: str) -> None:
    with app.test_request_context():
        assert password_problems(password) == []


@pytest.mark.parametrize(
    ("password", "context"),
    [
        ("short one", ()),  # too short
        ("x" * 257, ()),  # too long
        ("aaaaaaaaaaaaaaaa", ()),  # too few different characters
        ("1qaz2wsx3edc", ()),  # common
        ("Q1W2E3R4T5Y6", ()),  # common, any case
        ("qwerty 123456", ()),  # common, spaces ignored
        ("roomlog2026!!", ()),  # the system's name
        ("skyenskyen12", ("Skyen",)),  # a room name
        ("anna.jensen-1", ("anna.jensen",)),  # the username
        ("Odense Rummet 1", ("Odense Rummet",)),  # one word of a room name
    ],
)
def test_weak_passwords_are_refused(app: Flask, password: str, context: tuple[str, ...]) -> None:
    with app.test_request_context():
        assert password_problems(password, context), password


def test_common_list_is_shipped_lowercase_and_large() -> None:
    words = common_passwords()
    assert len(words) > 5000
    assert all(w == w.lower() for w in words)
    assert is_common("PASSWORD1") and is_common("iloveyou123") and not is_common("stille vand har dyb grund")


@pytest.mark.rollback
def test_nfkc_makes_the_same_passphrase_match_however_it_was_typed(app: Flask) -> None:
    composed, decomposed = "Ågård er et godt sted", "A\u030agård er et godt sted"
    fullwidth = "ｐａｓｓｐｈｒａｓｅ with fullwidth"
    params = app.config["ARGON2_PARAMS"]
    assert verify_password(hash_password(composed, params), decomposed, params)
    assert verify_password(hash_password(fullwidth, params), "passphrase with fullwidth", params)


def test_account_service_refuses_with_every_reason(app: Flask) -> None:
    with app.test_request_context():
        with pytest.raises(DomainError) as caught:
            check_password("roomlog", "anna")
        assert "12" in message(caught.value)


def test_no_forced_rotation_an_old_password_still_works(make: Factory, auth: AuthActions, dbs: Session) -> None:
    old = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
    make.user(Role.STAFF, rooms=[make.room()], username="veteran", password_changed_at=old, created_at=old)
    assert auth.login("veteran").status_code == 302
    assert auth.client.get("/").status_code == 302  # to the board, not to a "change your password" page
    assert "/account" not in auth.client.get("/").headers["Location"]
    assert dbs.scalar(select(User.password_changed_at).where(User.username == "veteran")) is not None
