import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apoint.models import Hospital, OrderEvent, StaffMember
from apoint.statuses import OrderStatus
from tests.conftest import make_order

BOM = "\ufeff"


def write_csv(tmp_path: Path, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / "import.csv"
    path.write_text((BOM if bom else "") + text, encoding="utf-8")
    return path


def run(name: str, *args: object) -> tuple[str, str]:
    out = io.StringIO()
    err = io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


STAFF_CSV = (
    "name,phone,email,role\n"
    "王销售,13800000001,wang@example.com,salesperson\n"
    "张客服,+86 138-0000-0003,,客服\n"
    "赵销售,13800000004,zhao@example.com,\n"
)


# ---- import_staff ---------------------------------------------------------


def test_import_staff_adds_rows(db, tmp_path):
    out, err = run("import_staff", write_csv(tmp_path, STAFF_CSV))

    assert "Staff: 3 added, 0 updated, 0 unchanged, 0 rejected." in out
    assert err == ""
    agent = StaffMember.objects.get(phone="13800000003")
    assert agent.name == "张客服"
    assert agent.role == StaffMember.Role.CUSTOMER_SERVICE
    assert StaffMember.objects.get(phone="13800000004").role == (
        StaffMember.Role.SALESPERSON
    )


def test_import_staff_is_idempotent(db, tmp_path):
    path = write_csv(tmp_path, STAFF_CSV)
    run("import_staff", path)

    out, _ = run("import_staff", path)

    assert "Staff: 0 added, 0 updated, 3 unchanged, 0 rejected." in out
    assert StaffMember.objects.count() == 3


def test_import_staff_updates_by_phone(db, tmp_path, salesperson):
    path = write_csv(
        tmp_path,
        "name,phone,email\n王新名,138 0000 0001,new@example.com\n",
    )

    out, _ = run("import_staff", path)

    assert "Staff: 0 added, 1 updated, 0 unchanged, 0 rejected." in out
    salesperson.refresh_from_db()
    assert salesperson.name == "王新名"
    assert salesperson.email == "new@example.com"
    # The WeChat binding survives a roster update.
    assert salesperson.openid is not None


def test_import_staff_reactivates_entry(db, tmp_path, salesperson):
    StaffMember.objects.filter(pk=salesperson.pk).update(is_active=False)
    path = write_csv(tmp_path, "name,phone,email\n王销售,13800000001,\n")

    out, _ = run("import_staff", path)

    assert "1 updated" in out
    salesperson.refresh_from_db()
    assert salesperson.is_active


def test_import_staff_rejects_bad_rows(db, tmp_path):
    path = write_csv(
        tmp_path,
        "name,phone,email,role\n"
        "王销售,13800000001,,\n"
        ",13800000002,,\n"
        "李销售,1380000000,,\n"
        "陈销售,13800000005,not-an-email,\n"
        "周销售,13800000006,,boss\n"
        "王销售,13800000001,,\n"
        "吴销售,13800000007,,,extra\n",
    )

    out, err = run("import_staff", path)

    assert "Staff: 1 added, 0 updated, 0 unchanged, 6 rejected." in out
    assert "line 3: rejected: name 不能为空" in err
    assert "line 4: rejected: phone 格式不正确" in err
    assert "line 5: rejected: email 格式不正确" in err
    assert "line 6: rejected: role 'boss' is invalid" in err
    assert "line 7: rejected: duplicate phone, already on line 2" in err
    assert "line 8: rejected: too many fields" in err
    assert list(StaffMember.objects.values_list("phone", flat=True)) == ["13800000001"]


def test_import_staff_all_or_nothing(db, tmp_path):
    path = write_csv(tmp_path, "name,phone,email\n王销售,13800000001,\n李销售,123,\n")

    with pytest.raises(CommandError, match="Nothing was written"):
        run("import_staff", path, "--all-or-nothing")

    assert StaffMember.objects.count() == 0


def test_import_staff_accepts_bom(db, tmp_path):
    path = write_csv(tmp_path, STAFF_CSV, bom=True)

    out, _ = run("import_staff", path)

    assert "3 added" in out
    assert StaffMember.objects.filter(name="王销售").exists()


def test_import_staff_excel_empty_columns(db, tmp_path):
    # Excel writes CRLF and keeps empty columns after the last used cell.
    path = write_csv(
        tmp_path,
        "name,phone,email,,\r\n王销售,13800000001,,,\r\n李销售,13800000002,,x,\r\n",
        bom=True,
    )

    out, err = run("import_staff", path)

    assert "1 added" in out
    assert "line 3: rejected: value 'x' in a column without a header" in err
    assert StaffMember.objects.get().phone == "13800000001"


def test_import_staff_header_case_and_spaces(db, tmp_path):
    path = write_csv(tmp_path, " Name , PHONE ,Email\n王销售,13800000001,\n")

    out, _ = run("import_staff", path)

    assert "1 added" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,email\n王销售,\n", "missing column"),
        ("name,phone,email,team\n王销售,13800000001,,a\n", "unknown column"),
        ("name,phone,phone,email\n", "duplicate column"),
        ("", "is empty"),
    ],
)
def test_import_staff_bad_header(db, tmp_path, text, message):
    path = write_csv(tmp_path, text)

    with pytest.raises(CommandError, match=message):
        run("import_staff", path)

    assert StaffMember.objects.count() == 0


def test_import_staff_rejects_gbk_file(db, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("name,phone,email\n王销售,13800000001,\n".encode("gbk"))

    with pytest.raises(CommandError, match="not UTF-8"):
        run("import_staff", path)

    assert StaffMember.objects.count() == 0


def test_import_staff_not_utf8_late(db, tmp_path):
    # A bad byte after good rows: the good rows are rolled back too.
    path = tmp_path / "late.csv"
    path.write_bytes(
        "name,phone,email\n王销售,13800000001,\n".encode()
        + "李销售,13800000002,\n".encode("gbk")
    )

    with pytest.raises(CommandError, match="Nothing was imported"):
        run("import_staff", path)

    assert StaffMember.objects.count() == 0


def test_import_staff_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="cannot open"):
        run("import_staff", tmp_path / "absent.csv")


# ---- import_hospitals -----------------------------------------------------

HOSPITAL_CSV = (
    "name,province,address,salesperson_phone\n"
    "上海第一医院,上海,黄浦区一号,13800000001\n"
    "南宁医院,广西壮族自治区,青秀区,\n"
)


def test_import_hospitals_adds_rows(db, tmp_path, salesperson):
    out, err = run("import_hospitals", write_csv(tmp_path, HOSPITAL_CSV))

    assert "Hospitals: 2 added, 0 updated, 0 unchanged, 0 rejected." in out
    assert err == ""
    shanghai = Hospital.objects.get(name="上海第一医院")
    assert shanghai.province.name == "上海"
    assert shanghai.salesperson == salesperson
    assert not shanghai.is_demo
    nanning = Hospital.objects.get(name="南宁医院")
    assert nanning.province.name == "广西"
    assert nanning.salesperson is None


def test_import_hospitals_quoted_fields(db, tmp_path):
    path = write_csv(
        tmp_path,
        "name,province,address,salesperson_phone\r\n"
        '上海医院,上海,"黄浦区, 演示路 ""1"" 号",\r\n',
    )

    out, _ = run("import_hospitals", path)

    assert "1 added" in out
    assert Hospital.objects.get().address == '黄浦区, 演示路 "1" 号'


def test_import_hospitals_is_idempotent(db, tmp_path, salesperson):
    path = write_csv(tmp_path, HOSPITAL_CSV, bom=True)
    run("import_hospitals", path)

    out, _ = run("import_hospitals", path)

    assert "Hospitals: 0 added, 0 updated, 2 unchanged, 0 rejected." in out
    assert Hospital.objects.count() == 2


def test_import_hospitals_updates_salesperson(
    db, tmp_path, hospital, other_salesperson
):
    path = write_csv(
        tmp_path,
        "name,province,address,salesperson_phone\n上海医院,上海市,新地址,13800000002\n",
    )

    out, _ = run("import_hospitals", path)

    assert "1 updated" in out
    hospital.refresh_from_db()
    assert hospital.salesperson == other_salesperson
    assert hospital.address == "新地址"


def test_import_hospitals_blank_phone_keeps(db, tmp_path, hospital, salesperson):
    path = write_csv(
        tmp_path, "name,province,address,salesperson_phone\n上海医院,上海,黄浦区,\n"
    )

    out, _ = run("import_hospitals", path)

    assert "1 unchanged" in out
    hospital.refresh_from_db()
    assert hospital.salesperson == salesperson


def test_import_hospitals_rejects_bad_rows(db, tmp_path, salesperson, agent):
    path = write_csv(
        tmp_path,
        "name,province,address,salesperson_phone\n"
        "好医院,上海,,13800000001\n"
        "月球医院,月球,,\n"
        ",上海,,\n"
        "坏电话医院,上海,,12345\n"
        "无名医院,上海,,13900000000\n"
        "客服医院,上海,,13800000003\n"
        "好医院,上海,,\n",
    )

    out, err = run("import_hospitals", path)

    assert "Hospitals: 1 added, 0 updated, 0 unchanged, 6 rejected." in out
    assert "line 3: rejected: province '月球' is not found" in err
    assert "line 4: rejected: name 不能为空" in err
    assert "line 5: rejected: salesperson_phone 格式不正确" in err
    assert "line 6: rejected: salesperson_phone 13900000000 is not an active" in err
    # A customer-service member cannot be a hospital's salesperson.
    assert "line 7: rejected: salesperson_phone 13800000003 is not an active" in err
    assert "line 8: rejected: duplicate hospital, already on line 2" in err
    assert list(Hospital.objects.values_list("name", flat=True)) == ["好医院"]


def test_import_hospitals_all_or_nothing(db, tmp_path):
    path = write_csv(
        tmp_path,
        "name,province,address,salesperson_phone\n好医院,上海,,\n坏医院,火星,,\n",
    )

    with pytest.raises(CommandError, match="Nothing was written"):
        run("import_hospitals", path, "--all-or-nothing")

    assert Hospital.objects.count() == 0


def test_import_hospitals_bad_header(db, tmp_path):
    path = write_csv(tmp_path, "name,province\n好医院,上海\n")

    with pytest.raises(CommandError, match="missing column"):
        run("import_hospitals", path)


# ---- assign_order -----------------------------------------------------------


def test_assign_order_claims_unclaimed(db, hospital, other_salesperson):
    order = make_order(hospital, status=OrderStatus.UNCLAIMED)

    out, _ = run("assign_order", str(order.pk), "+86 138 0000 0002")

    assert f"Order {order.pk} assigned" in out
    order.refresh_from_db()
    assert order.salesperson == other_salesperson
    assert order.status == OrderStatus.CLAIMED
    event = order.events.get()
    assert event.kind == OrderEvent.Kind.ASSIGNED
    assert event.from_status == OrderStatus.UNCLAIMED
    assert event.to_status == OrderStatus.CLAIMED


def test_assign_order_keeps_status(db, hospital, other_salesperson):
    order = make_order(hospital, status=OrderStatus.CONFIRMED)

    run("assign_order", str(order.pk), "13800000002")

    order.refresh_from_db()
    assert order.salesperson == other_salesperson
    assert order.status == OrderStatus.CONFIRMED
    assert order.events.get().to_status == OrderStatus.CONFIRMED


def test_assign_order_unknown_order(db, salesperson):
    with pytest.raises(CommandError, match="Order 999"):
        run("assign_order", "999", "13800000001")


def test_assign_order_bad_phone(db, order):
    with pytest.raises(CommandError, match="格式不正确"):
        run("assign_order", str(order.pk), "12345")

    assert not order.events.exists()


def test_assign_order_not_salesperson(db, order, agent):
    with pytest.raises(CommandError, match="No active salesperson"):
        run("assign_order", str(order.pk), agent.phone)

    assert not order.events.exists()


def test_assign_order_inactive_salesperson(db, order, other_salesperson):
    StaffMember.objects.filter(pk=other_salesperson.pk).update(is_active=False)

    with pytest.raises(CommandError, match="No active salesperson"):
        run("assign_order", str(order.pk), other_salesperson.phone)


def test_import_staff_email_column_optional(tmp_path):
    path = write_csv(tmp_path, "name,phone\n王销售,13800000001\n")
    call_command("import_staff", str(path), stdout=io.StringIO())
    staff = StaffMember.objects.get(phone="13800000001")
    assert staff.name == "王销售"
    assert staff.email == ""
