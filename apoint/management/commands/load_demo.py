from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apoint.models import Hospital, Province

# (province, hospital, address): a few cities so that the booking page has
# something to pick in local mode.
DEMO_HOSPITALS = [
    ("上海", "上海演示医院", "上海市黄浦区演示路1号"),
    ("上海", "上海浦东演示医院", "上海市浦东新区演示路2号"),
    ("北京", "北京演示医院", "北京市朝阳区演示路3号"),
    ("广东", "广州演示医院", "广州市天河区演示路4号"),
    ("广东", "深圳演示医院", "深圳市南山区演示路5号"),
    ("四川", "成都演示医院", "成都市武侯区演示路6号"),
    ("浙江", "杭州演示医院", "杭州市西湖区演示路7号"),
]


class Command(BaseCommand):
    help = "Load demo hospitals, marked as demo; local mode only, safe to repeat."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.LOCAL_MODE:
            raise CommandError("load_demo runs in local mode only (APOINT_MODE=local).")
        added = 0
        with transaction.atomic():
            for province_name, name, address in DEMO_HOSPITALS:
                province = Province.objects.get(name=province_name)
                _, created = Hospital.objects.get_or_create(
                    province=province,
                    name=name,
                    defaults={"address": address, "is_demo": True},
                )
                added += created
        present = len(DEMO_HOSPITALS) - added
        self.stdout.write(f"Demo hospitals: {added} added, {present} already present.")
