"""Who is acting, for the receivers that record audit entries.

The web request is remembered for the length of the request (`AuditRequestMiddleware`); its
user is read when an entry is written, after DRF has authenticated a token request. A job or
command sets its actor with `acting_as`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

_request: ContextVar[Any] = ContextVar("audit_request", default=None)
_actor: ContextVar[tuple[Any, str] | None] = ContextVar("audit_actor", default=None)


@dataclass(frozen=True)
class Actor:
    user: Any
    source: str


def current_actor() -> Actor:
    """The user acting (None when unknown) and where from (admin, api, job, other)."""
    explicit = _actor.get()
    if explicit is not None:
        return Actor(user=explicit[0], source=explicit[1])
    request = _request.get()
    if request is None:
        return Actor(user=None, source="other")
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        user = None
    source = "api" if request.path.startswith("/api/") else "admin"
    return Actor(user=user, source=source)


@contextmanager
def acting_as(user: Any, source: str) -> Iterator[None]:
    token = _actor.set((user, source))
    try:
        yield
    finally:
        _actor.reset(token)


class AuditRequestMiddleware:
    """Remembers the request being served, so audit receivers know who acts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
