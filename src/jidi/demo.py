"""Demo data for `make run`: one customer and one account per staff role, created once."""
from __future__ import annotations

from jidi import errors
from jidi.privacy import Role

DEMO_CUSTOMER_PHONE = "13800138000"
DEMO_CUSTOMER_PASSWORD = "jidi-demo-2026"
DEMO_STAFF_PASSWORD = "jidi-staff-2026"
DEMO_STAFF = {"support": Role.SUPPORT_AGENT, "privacy": Role.PRIVACY_OFFICER, "admin": Role.ADMIN, "courier": Role.COURIER}


def load(c) -> list[str]:
    """Create what is missing and return the demo logins to print."""
    accounts = c.accounts
    if accounts.staff_find_customer(DEMO_CUSTOMER_PHONE) is None:
        accounts.demo_customer(DEMO_CUSTOMER_PHONE, DEMO_CUSTOMER_PASSWORD, nickname="演示用户")
    lines = [
        f"customer  http://127.0.0.1:8000/login  phone {DEMO_CUSTOMER_PHONE}, code from /dev/outbox "
        f"(or /login/password with password {DEMO_CUSTOMER_PASSWORD})",
    ]
    for username, role in DEMO_STAFF.items():
        try:
            accounts.create_staff(role, username, DEMO_STAFF_PASSWORD)
        except errors.AppError as err:
            if err.code != "username_taken":
                raise
        lines.append(f"{role.value:<16} http://127.0.0.1:8000/staff/login  user {username}, password {DEMO_STAFF_PASSWORD}, "
                     f"code: `make totp WHO={username}`")
    return lines
