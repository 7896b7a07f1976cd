"""Response shapes of the API, for the OpenAPI document.

The endpoints write their JSON directly with orjson, so these classes
document the wire format and do not validate it; tests check the bodies.
Extra keys beyond the original description's are additions the contract
allows.
"""

import datetime

from ninja import Schema
from typing_extensions import TypedDict


class OkOut(Schema):
    ret: int
    msg: str


class ProvinceRow(Schema):
    id: int
    area: str


class ProvinceListOut(OkOut):
    lister: list[ProvinceRow]


class HospitalRow(Schema):
    id: int
    hospits: str


class HospitalListOut(OkOut):
    lister: list[HospitalRow]


class SubmitOut(OkOut):
    id: int | None = None


class MyOrderData(Schema):
    id: int
    name: str
    status: int
    statusLabel: str
    hospital: str
    wantTime: datetime.date
    submitTime: str


class MyOrderOut(OkOut):
    data: MyOrderData | None = None


class UploadOut(Schema):
    result: int
    imgurl: str | None = None
    msg: str | None = None


class PatientRow(Schema):
    wantTime: datetime.date
    hospital: str
    sex: str
    id: int
    name: str
    status: int
    statusLabel: str


class PatientListOut(OkOut):
    lister: list[PatientRow] | None = None


class RemarkRow(Schema):
    remark: str
    name: str
    time: str


# A TypedDict, because one key ("from") is a Python keyword.
HistoryRow = TypedDict(
    "HistoryRow",
    {
        "time": str,
        "from": int | None,
        "to": int,
        "label": str,
        "kind": str,
        "remark": str,
        "name": str,
    },
)


class PatientDetail(Schema):
    wanthospital: str
    phone: str
    birthday: datetime.date
    name: str
    area: str
    photo: list[str]
    description: str
    customer: list[RemarkRow]
    wantTime: datetime.date
    sex: str
    id: str
    status: int
    statusLabel: str
    nextCallDate: datetime.date | None
    submitTime: str
    history: list[HistoryRow]


class PatientDetailOut(OkOut):
    data: PatientDetail | None = None
