"""The address book: a customer's saved senders and recipients (JD-1.1.2(4))."""
