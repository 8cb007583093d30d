"""Shipping: quotes, orders and their parties, waybill numbers, merchant imports, real-name pickup."""
