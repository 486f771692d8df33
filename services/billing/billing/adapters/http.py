"""Calling a payment provider over HTTP: every call has a timeout, and what may pass (no answer, a
timeout, 429, 5xx) is retried with growing pauses; what the provider refuses (another 4xx) is not.

A call that changes something at the provider is retried only as a whole step that first looks
whether the change was made (`retrying` around a find-then-act function): a timeout does not say
whether the provider acted, so the step must be idempotent on our ids."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests

from ..domain.errors import ProviderRefused, ProviderUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")


class Retryable(Exception):
    """The provider did not answer, or answered 429 or 5xx: the step may be tried again."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    timeout: float = 10.0  # seconds, for each HTTP call
    backoff: float = 0.5  # seconds before the second attempt; doubled before each next one


class ProviderClient:
    """JSON over HTTP to one provider's API, with HTTP Basic authentication."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        auth: tuple[str, str] | None,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.provider, self.base_url, self.auth = provider, base_url.rstrip("/"), auth
        self.policy, self.sleep = policy, sleep
        self.session = requests.Session()

    def call(self, method: str, path: str, *, json: dict | None = None, params: dict | None = None) -> dict:
        """One call: its JSON answer; Retryable when it may pass, ProviderRefused when refused."""
        try:
            response = self.session.request(
                method, self.base_url + path, json=json, params=params, auth=self.auth, timeout=self.policy.timeout
            )
        except requests.RequestException as exc:
            raise Retryable(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise Retryable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ProviderRefused(self.provider, response.status_code, response.text)
        try:
            return response.json()
        except ValueError:
            raise Retryable(f"{method} {path}: the answer is not JSON") from None

    def retrying(self, step: Callable[[], T]) -> T:
        """`step` until it answers, at most `policy.attempts` times; ProviderUnavailable after."""
        attempt = 1
        while True:
            try:
                return step()
            except Retryable as exc:
                log.warning("%s: attempt %d of %d failed: %s", self.provider, attempt, self.policy.attempts, exc)
                if attempt >= self.policy.attempts:
                    raise ProviderUnavailable(self.provider, str(exc)) from None
            self.sleep(self.policy.backoff * 2 ** (attempt - 1))
            attempt += 1
