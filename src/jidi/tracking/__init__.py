"""Tracking: route events from scanners and partner systems, the public masked lookup, route SMS."""
