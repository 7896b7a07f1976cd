"""Back-office roles: the two groups, their permissions and order visibility."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from apoint.models import Order, StaffMember
from apoint.statuses import OPEN_STATUSES, Actor

AGENT_GROUP = "客服"
ADMINISTRATOR_GROUP = "管理员"

PERM_WORK = "backoffice.work_orders"
PERM_MANAGE = "backoffice.manage_orders"
PERM_REPORTS = "backoffice.view_reports"
PERM_ACCESS_RECORDS = "backoffice.view_access_records"
PERM_ERASE = "backoffice.erase_patient"

# The groups and their permissions are created by the migration
# backoffice/migrations/0002_roles.py.

User = AuthUser | AnonymousUser
_STAFF_CACHE = "_backoffice_staff"


def is_administrator(user: User) -> bool:
    return user.has_perm(PERM_MANAGE)


def staff_of(user: User) -> StaffMember | None:
    """Return the active customer-service roster entry linked to `user`."""
    if not user.is_authenticated:
        return None
    # Cached on the user object, which lives as long as the request.
    if not hasattr(user, _STAFF_CACHE):
        staff = StaffMember.objects.filter(
            user_id=user.pk, role=StaffMember.Role.CUSTOMER_SERVICE, is_active=True
        ).first()
        setattr(user, _STAFF_CACHE, staff)
    return getattr(user, _STAFF_CACHE)


def actor_of(user: User) -> Actor:
    return Actor.ADMINISTRATOR if is_administrator(user) else Actor.CUSTOMER_SERVICE


def visible_orders(user: User, staff: StaffMember | None) -> QuerySet[Order]:
    """Orders `user` may open: all for an administrator, else unclaimed and own."""
    orders = Order.objects.all()
    if is_administrator(user):
        return orders
    if staff is None:
        return orders.none()
    unowned = Q(owner_id__isnull=True, status__in=OPEN_STATUSES)
    return orders.filter(unowned | Q(owner_id=staff.pk))


def require_perm(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied
