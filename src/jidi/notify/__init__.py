"""Notifications: SMS through a provider interface; the embedded default keeps messages in an outbox."""
