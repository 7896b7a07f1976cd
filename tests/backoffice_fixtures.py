"""Back-office personas: two agents and an administrator, signed in."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from apoint.models import StaffMember
from backoffice.roles import ADMINISTRATOR_GROUP, AGENT_GROUP

PASSWORD = "correct-horse-battery"


@pytest.fixture
def migration_data(transactional_db) -> None:
    """A transactional database with the data migrations' rows in place."""
    from tests.conftest import restore_migration_data

    restore_migration_data()


def make_user(username: str, group: str) -> User:
    # No password: tests sign in with force_login, and hashing one costs a
    # noticeable fraction of a second per user.
    user = User.objects.create_user(username=username)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def agent_user(agent: StaffMember) -> User:
    user = make_user("zhang", AGENT_GROUP)
    agent.user = user
    agent.save(update_fields=["user"])
    return user


@pytest.fixture
def other_agent(db) -> StaffMember:
    user = make_user("zhao", AGENT_GROUP)
    return StaffMember.objects.create(
        name="赵客服",
        phone="13800000004",
        role=StaffMember.Role.CUSTOMER_SERVICE,
        user=user,
    )


@pytest.fixture
def admin_user(db) -> User:
    return make_user("boss", ADMINISTRATOR_GROUP)


@pytest.fixture
def agent_client(agent_user: User) -> Client:
    client = Client()
    client.force_login(agent_user)
    return client


@pytest.fixture
def other_agent_client(other_agent: StaffMember) -> Client:
    client = Client()
    client.force_login(other_agent.user)
    return client


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client
