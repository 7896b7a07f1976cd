"""Request helpers and example values shared by the API tests."""

import datetime
from typing import Any

from django.test import Client
from django.utils import timezone

from apoint.models import Hospital
from tests.conftest import PATIENT_OPENID

API = "/api/apoint"
EXAMPLE_NAME = "这是新患者"
EXAMPLE_PHONE = "16253478956"
EXAMPLE_DESCRIPTION = "这个天使之吻只有一毫米，但我就是不想要"


def wanted_date(days: int = 10) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def order_fields(hospital: Hospital, /, **overrides: str) -> dict[str, str]:
    """Return the submission fields of the original example, as strings."""
    fields = {
        "name": EXAMPLE_NAME,
        "openid": PATIENT_OPENID,
        "birthday": "2017-08-20",
        "sex": "男",
        "phone": EXAMPLE_PHONE,
        "area": str(hospital.province_id),
        "wantTime": wanted_date(),
        "hospital": str(hospital.pk),
        "description": EXAMPLE_DESCRIPTION,
        "photo": "[]",
    }
    fields.update(overrides)
    return fields


def post(client: Client, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
    # Browsers send Origin with every POST; session-mode calls require it.
    response = client.post(f"{API}/{endpoint}/", data, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 200
    return response.json()


def get(client: Client, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"{API}/{endpoint}/", params)
    assert response.status_code == 200
    return response.json()


def sent_messages(settings: Any) -> list[str]:
    """Return the texts the file SMS backend wrote, oldest first."""
    folder = settings.SMS_FILE_PATH
    if not folder.exists():
        return []
    return [path.read_text() for path in sorted(folder.iterdir())]


def last_code(settings: Any) -> str:
    """Return the code in the newest message the file SMS backend wrote."""
    return sent_messages(settings)[-1].split("验证码是")[1][:6]
