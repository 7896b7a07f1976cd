from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apoint import services
from apoint.errors import ApiError
from apoint.logmask import mask_phone
from apoint.models import StaffMember
from apoint.statuses import OrderStatus
from apoint.validation import parse_phone


class Command(BaseCommand):
    help = (
        "Make the active salesperson with PHONE the salesperson of order "
        "ORDER_ID. An unclaimed order becomes claimed, so that the "
        "salesperson sees it. The change is written to the order's history. "
        "Prints the order id."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("order_id", type=int, help="the order id")
        parser.add_argument("phone", help="the salesperson's phone on the roster")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            phone = parse_phone(options["phone"])
        except ApiError as error:
            raise CommandError(f"{error.msg}: {options['phone']!r}") from None
        salesperson = StaffMember.objects.filter(
            phone=phone, role=StaffMember.Role.SALESPERSON, is_active=True
        ).first()
        if salesperson is None:
            raise CommandError(
                f"No active salesperson with phone {mask_phone(phone)} on the "
                "roster: add them with import_staff first."
            )
        try:
            order = services.order_assign(
                order_id=options["order_id"], salesperson=salesperson
            )
        except ApiError as error:
            raise CommandError(f"Order {options['order_id']}: {error.msg}") from None
        status = OrderStatus(order.status)
        self.stdout.write(
            f"Order {order.pk} assigned to salesperson {salesperson.pk} "
            f"({mask_phone(phone)}); status {status.value} {status.label}."
        )
