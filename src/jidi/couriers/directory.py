"""The courier directory (`c.courier_directory`): a courier's work mobile number for the virtual-number provider.

When a task is assigned, the virtual-number feature binds the courier's work number (A) and the consumer's (B) to a
virtual number X of its provider (jidi.virtualnumbers.service.CourierDirectory is the protocol). The work number is
this feature's data: it hands it over only here, after recording the share in the register under the binding's
reference, in the caller's transaction, to the provider declared below as a recipient of that one field. The
customer sees X, never this number. Deletion notices for these shares (when a courier's data is erased) go to the
configured provider through the virtual-number service, which knows the bindings by the same references.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from jidi.couriers.models import Worker
from jidi.privacy import LegalBasis, Purpose, RecipientRole, recipient

# The same carrier platform the virtual-number feature declares for the consumer's number (its own declaration, of
# its own field): a processor acting for us, for delivery, that receives the courier's work number with every bind.
CARRIER_COURIER_NUMBERS = recipient(
    "virtual_number_carrier_couriers", "隐私号服务商(快递员工作手机号)", "Virtual-number provider (couriers' work numbers)",
    role=RecipientRole.PROCESSOR, purpose=Purpose.DELIVERY, basis=LegalBasis.CONTRACT,
    fields=("courier_workers.work_phone",), phone_field="courier_workers.work_phone",
)


class NoVirtualNumberProvider(RuntimeError):
    """A deletion notice for the carrier while no virtual-number service is configured: kept and retried."""


class CourierDirectory:
    def __init__(self, container):
        self.c = container
        container.shares.channels[CARRIER_COURIER_NUMBERS.key] = self

    def phone_for_carrier(self, session: Session, courier_id: uuid.UUID, *, reference: str, now: dt.datetime) -> str | None:
        """The courier's (`courier_id`: the courier's account) work number for the virtual-number provider, the share
        recorded under `reference` in `session`'s transaction; None for an unknown courier, one who may not take
        orders, or one without a work number (then nothing is recorded)."""
        worker = session.scalar(select(Worker).where(Worker.user_id == courier_id))
        if worker is None or worker.status != "cleared" or worker.work_phone is None:
            return None
        (phone,) = self.c.shares.disclose(session, CARRIER_COURIER_NUMBERS, [worker.work_phone], reference=reference, now=now)
        return phone

    def request_deletion(self, references: list[str]) -> None:
        provider = getattr(self.c, "virtual_numbers", None)
        if provider is None:
            raise NoVirtualNumberProvider("no virtual-number service to send the deletion notice to")
        provider.request_deletion(references)
