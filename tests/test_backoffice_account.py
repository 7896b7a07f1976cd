"""The backoffice_account command: agents and administrators."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from apoint.models import StaffMember

PASSWORD_ENV = "BACKOFFICE_TEST_PASSWORD"


@pytest.fixture(autouse=True)
def _password(monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setenv(PASSWORD_ENV, "a-long-enough-password")


def test_agent_account_links_roster_entry(agent):
    call_command(
        "backoffice_account",
        "zhang",
        "--phone",
        agent.phone,
        "--password-env",
        PASSWORD_ENV,
    )
    agent.refresh_from_db()
    user = User.objects.get(username="zhang")
    assert agent.user_id == user.pk
    assert user.has_perm("backoffice.work_orders")
    assert not user.has_perm("backoffice.manage_orders")
    assert not user.is_staff
    assert user.check_password("a-long-enough-password")


def test_agent_account_creates_roster_entry(db):
    call_command(
        "backoffice_account",
        "li",
        "--phone",
        "13900000009",
        "--name",
        "李客服",
        "--password-env",
        PASSWORD_ENV,
    )
    staff = StaffMember.objects.get(phone="13900000009")
    assert staff.role == StaffMember.Role.CUSTOMER_SERVICE
    assert staff.user.username == "li"


def test_admin_account_is_staff(db):
    call_command(
        "backoffice_account", "boss", "--admin", "--password-env", PASSWORD_ENV
    )
    user = User.objects.get(username="boss")
    assert user.is_staff
    assert user.has_perm("backoffice.manage_orders")
    assert user.has_perm("apoint.change_hospital")


def test_salesperson_cannot_get_account(salesperson):
    with pytest.raises(CommandError, match="客服角色"):
        call_command(
            "backoffice_account",
            "wang",
            "--phone",
            salesperson.phone,
            "--password-env",
            PASSWORD_ENV,
        )
    assert not User.objects.exists()


def test_agent_account_needs_phone(db):
    with pytest.raises(CommandError, match="关联员工名册"):
        call_command("backoffice_account", "x", "--password-env", PASSWORD_ENV)
    assert not User.objects.exists()


def test_weak_password_rejected(db, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "123")
    with pytest.raises(CommandError):
        call_command(
            "backoffice_account", "boss", "--admin", "--password-env", PASSWORD_ENV
        )
    assert not User.objects.exists()
