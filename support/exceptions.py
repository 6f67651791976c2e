"""Domain errors of support."""


class SupportError(Exception):
    """Base of support's domain errors; `message` is shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAShopperMessage(SupportError):
    """Only shopper messages have an intent to correct."""
