"""Events this service reacts to: event type -> handler (one table)."""
from mumaris_shared.consumer import Handler

HANDLERS: dict[str, Handler] = {}
