"""In a browser: pay an order on the payment simulator's page (as on Alipay's cashier page) and come back to it."""
from __future__ import annotations


def pay_through_simulator(page, waybill_no: str, method: str = "alipay") -> None:
    """From the order's page: Pay, choose the method, confirm on the simulator's page, back to the order."""
    page.get_by_test_id("pay-order").click()
    page.get_by_test_id(f"pay-{method}").click()
    page.get_by_test_id("sim-confirm").click()
    page.get_by_test_id("waybill-no").click()  # the payment page links back to the order
    assert waybill_no in page.url
