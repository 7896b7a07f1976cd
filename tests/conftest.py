import datetime
import importlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from PIL import Image

from apoint import catalog
from apoint.models import Hospital, Order, Province, StaffMember
from apoint.statuses import OrderStatus

pytest_plugins = [
    "tests.browser",
    "tests.fakes.fixtures",
    "tests.backoffice_fixtures",
    "tests.realservices",
]

PATIENT_OPENID = "o_MHBjlLNNi2JzTQWiC-P223dbc0"
SALESPERSON_OPENID = "o_MHBjuPu3dDh2-1z5rPfmXNfsAQ"
OTHER_SALESPERSON_OPENID = "o_OTHERsalesperson0000000000"


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Uploads go to local files even when S3_* is set for the services run:
    # tests fetch photos back through the test client. The S3 tests opt in
    # with their own fixtures (tests/realservices.py). The manifest storage
    # needs collectstatic; tests serve static files from the finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    from apoint.sms import get_backend

    get_backend.cache_clear()


def restore_migration_data() -> None:
    """Add back the provinces and groups that data migrations create.

    A transactional test (threads, the live server) empties every table when
    it ends, and serialized_rollback cannot restore them under Playwright's
    sync API, whose test body runs on a connection without the serialized
    contents. So every test checks and re-adds them.
    """
    if not Province.objects.exists():
        provinces = importlib.import_module("apoint.migrations.0002_provinces")
        provinces.add_provinces(apps, None)
    if not Group.objects.exists():
        roles = importlib.import_module("backoffice.migrations.0002_roles")
        roles.add_groups(Group, Permission)


@pytest.fixture(autouse=True)
def _fresh_catalog(db) -> Iterator[None]:
    restore_migration_data()
    cache.clear()
    catalog.prepared.clear()
    yield
    catalog.prepared.clear()


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def shanghai(db) -> Province:
    return Province.objects.get(name="上海")


@pytest.fixture
def beijing(db) -> Province:
    return Province.objects.get(name="北京")


@pytest.fixture
def salesperson(db) -> StaffMember:
    return StaffMember.objects.create(
        name="王销售",
        phone="13800000001",
        role=StaffMember.Role.SALESPERSON,
        openid=SALESPERSON_OPENID,
        bound_at=timezone.now(),
    )


@pytest.fixture
def other_salesperson(db) -> StaffMember:
    return StaffMember.objects.create(
        name="李销售",
        phone="13800000002",
        role=StaffMember.Role.SALESPERSON,
        openid=OTHER_SALESPERSON_OPENID,
        bound_at=timezone.now(),
    )


@pytest.fixture
def agent(db) -> StaffMember:
    return StaffMember.objects.create(
        name="张客服", phone="13800000003", role=StaffMember.Role.CUSTOMER_SERVICE
    )


@pytest.fixture
def hospital(shanghai: Province, salesperson: StaffMember) -> Hospital:
    return Hospital.objects.create(
        name="上海医院", province=shanghai, address="黄浦区", salesperson=salesperson
    )


@pytest.fixture
def beijing_hospital(beijing: Province, other_salesperson: StaffMember) -> Hospital:
    return Hospital.objects.create(
        name="北京医院", province=beijing, salesperson=other_salesperson
    )


def make_order(
    hospital: Hospital,
    *,
    openid: str = PATIENT_OPENID,
    status: OrderStatus = OrderStatus.CLAIMED,
    salesperson: StaffMember | None = None,
    name: str = "这是新患者",
    want_days: int = 10,
) -> Order:
    return Order.objects.create(
        patient_openid=openid,
        name=name,
        birthday=datetime.date(2017, 8, 20),
        sex=Order.Sex.MALE,
        phone="16253478956",
        province_id=hospital.province_id,
        hospital=hospital,
        want_date=timezone.localdate() + datetime.timedelta(days=want_days),
        description="这个天使之吻只有一毫米，但我就是不想要",
        status=status,
        salesperson=salesperson if salesperson is not None else hospital.salesperson,
    )


@pytest.fixture
def order(hospital: Hospital) -> Order:
    return make_order(hospital)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 120)).save(buffer, fmt, **save)
    return buffer.getvalue()
