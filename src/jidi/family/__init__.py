"""Waybill lookup by phone proof and family numbers (亲情号): promises area 3, JD-1.1.2(2)."""
