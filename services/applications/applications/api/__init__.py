"""The HTTP API: `/v1/...` (docs/api.md), in three blueprints. Roles are checked before the body is read."""

from .common import ANSWERS_EXTENSION, SERVICE_EXTENSION
from .documents import blueprint as documents
from .licences import blueprint as licences
from .requests import blueprint as requests
from .requests import new_kept_answers

BLUEPRINTS = [requests, documents, licences]

__all__ = ["ANSWERS_EXTENSION", "BLUEPRINTS", "SERVICE_EXTENSION", "new_kept_answers"]
