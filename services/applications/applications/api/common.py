"""What every blueprint of the API shares: the service it calls and the security scheme."""

from flask import current_app

from mumaris_shared.kept_answers import KeptAnswers

from ..service import ApplicationService

SERVICE_EXTENSION = "applications.service"
ANSWERS_EXTENSION = "applications.kept_answers"
BEARER = [{"bearer": []}]


def service() -> ApplicationService:
    return current_app.extensions[SERVICE_EXTENSION]


def kept_answers(name: str) -> KeptAnswers:
    """The app's kept answers of one read (api/requests.py: `request`, `status`)."""
    answers: dict[str, KeptAnswers] = current_app.extensions[ANSWERS_EXTENSION]
    return answers[name]
