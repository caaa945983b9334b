"""Delivery methods as plain modules: each `send(message, rendered)` returns None on success or
raises `DeliveryError(retryable=...)`. No Django models are written here (the dispatcher
records outcomes); the inbox method is the exception by nature: it writes the inbox row."""


class DeliveryError(Exception):
    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable
