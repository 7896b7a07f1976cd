from django.db import migrations

# The 34 provincial-level divisions, in the order of the GB/T 2260 codes.
PROVINCES = [
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江",
    "上海", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南",
    "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "台湾",
    "香港", "澳门",
]  # fmt: skip


def add_provinces(apps, schema_editor):
    Province = apps.get_model("apoint", "Province")
    for number, name in enumerate(PROVINCES, start=1):
        Province.objects.get_or_create(id=number, defaults={"name": name})


def remove_provinces(apps, schema_editor):
    Province = apps.get_model("apoint", "Province")
    Province.objects.filter(name__in=PROVINCES).delete()


class Migration(migrations.Migration):
    dependencies = [("apoint", "0001_initial")]

    operations = [migrations.RunPython(add_provinces, remove_provinces)]
