"""Accounts: registration and login (SMS code, password, WeChat), profile, staff with a second factor."""
