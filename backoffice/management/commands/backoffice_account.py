import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apoint.errors import ApiError
from apoint.models import StaffMember
from apoint.validation import parse_phone
from backoffice.services import account_create, agent_roster_add


class Command(BaseCommand):
    help = (
        "Create a back-office account: an agent linked to a customer-service "
        "roster entry (--phone), or an administrator (--admin). Asks for the "
        "password unless the environment variable named by --password-env holds it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--phone", default="", help="phone of the agent's roster entry"
        )
        parser.add_argument(
            "--name",
            default="",
            help="create the customer-service roster entry with this name",
        )
        parser.add_argument(
            "--admin",
            action="store_true",
            help="create an administrator account instead of an agent",
        )
        parser.add_argument(
            "--password-env",
            default="",
            help="name of an environment variable that contains the password",
        )

    def handle(self, *args: object, **options: object) -> None:
        username = str(options["username"])
        staff = self._staff(str(options["phone"]), str(options["name"]))
        env_name = str(options["password_env"])
        if env_name:
            password = os.environ.get(env_name, "")
            if not password:
                raise CommandError(
                    f"Environment variable {env_name} is empty or unset."
                )
        else:
            password = getpass.getpass("Password: ")
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        try:
            user = account_create(
                username=username,
                password=password,
                administrator=bool(options["admin"]),
                staff=staff,
            )
        except ApiError as error:
            raise CommandError(error.msg) from None
        role = "administrator" if options["admin"] else "agent"
        self.stdout.write(f"Created {role} account {user.username} (id {user.pk}).")

    def _staff(self, phone: str, name: str) -> StaffMember | None:
        if not phone:
            if name:
                raise CommandError(
                    "--phone is missing: give the phone of the new roster entry."
                )
            return None
        try:
            phone = parse_phone(phone)
        except ApiError as error:
            raise CommandError(error.msg) from None
        staff = StaffMember.objects.filter(phone=phone).first()
        if staff is None and name:
            staff = agent_roster_add(name=name, phone=phone)
        if staff is None:
            raise CommandError(
                f"No roster entry has phone {phone}: add --name to create one."
            )
        return staff
