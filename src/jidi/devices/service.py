"""The device-permission switches. Each public method is one transaction."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from jidi import errors
from jidi.devices.models import PermissionSwitch
from jidi.i18n import N_
from jidi.kit.permissions import Kind


class Devices:
    def __init__(self, container):
        self.c = container

    def turned_off(self, user_id: uuid.UUID) -> frozenset[Kind]:
        """The permission kinds this customer turned off in jidi: pages do not offer what needs them."""
        with self.c.uow() as s:
            rows = s.scalars(select(PermissionSwitch.kind).where(PermissionSwitch.user_id == user_id,
                                                                 PermissionSwitch.allowed.is_(False)))
            return frozenset(Kind(k) for k in rows)

    def set_allowed(self, user_id: uuid.UUID, kind: str, allowed: bool) -> None:
        """Turn a permission off (or on again) in jidi; it takes effect on the next page (JD-6.6c)."""
        try:
            kind = Kind(kind)
        except ValueError:
            raise errors.invalid_field(N_("Permission")) from None
        with self.c.uow() as s:
            row = s.get(PermissionSwitch, (user_id, kind.value))
            if row is None:
                s.add(PermissionSwitch(user_id=user_id, kind=kind.value, allowed=allowed, changed_at=self.c.clock()))
            else:
                row.allowed, row.changed_at = allowed, self.c.clock()
