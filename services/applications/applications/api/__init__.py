"""The HTTP API: `/v1/...` (docs/api.md), in three blueprints. Roles are checked before the body is read."""

from .common import SERVICE_EXTENSION
from .documents import blueprint as documents
from .licences import blueprint as licences
from .requests import blueprint as requests

BLUEPRINTS = [requests, documents, licences]

__all__ = ["BLUEPRINTS", "SERVICE_EXTENSION"]
