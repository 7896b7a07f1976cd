"""Signals other apps listen to, sent by the services in apoint.services."""

from django.dispatch import Signal

# Sent inside the transaction that wrote an OrderEvent, with `event` (the
# saved OrderEvent) and `order`. Receivers that reach the outside world
# (SMS, WeChat) must defer the work with transaction.on_commit.
order_event_recorded = Signal()
