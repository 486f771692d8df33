"""Events this service reacts to: event type -> handler (one table). Accounts only publishes."""

from mumaris_shared.consumer import Handler

HANDLERS: dict[str, Handler] = {}
