"""Web Push (being built in this session by the push part): encrypts and sends claimed deliveries."""

from __future__ import annotations

from collections.abc import Sequence

from .models import Delivery


def send_push_deliveries(deliveries: Sequence[Delivery]) -> None:
    raise NotImplementedError("Web Push sending is being built.")
