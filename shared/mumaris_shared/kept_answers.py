"""Answers of the read path kept as the bytes that were sent, each under what it shows and that
thing's revision, a number every change of it moves in the same transaction (the applications
service's `applications.revision`).

A look-up still reads the row, for who may see it and its revision; when the revision is the one an
answer was kept for, that answer is sent again as it was. The other statements, the marshmallow
dump and the JSON encoding are skipped: two thirds of an owner's `GET` of a request. Any change
moves the revision, so the next look-up makes the answer again: nothing older than the row read
is ever sent.

Each web worker keeps its own (up to `size` answers, the oldest made dropped first). With
`ANSWERS_CHECK=1` (the test suites) every kept answer is made again and compared before it is
sent. A difference while the revision is still the same is a `StaleAnswer` (a 500): a change that
did not move the revision fails whichever test reads the thing after it. (A difference because a
change was committed between the row and the rest, which PostgreSQL's reads without a transaction
allow, has moved the revision: that one is no fault.)"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, cast

from flask import Response, current_app
from marshmallow import Schema

from .config import env_flag

DEFAULT_SIZE = 4096

# How a service's read turns what it shows into its answer: (key, revision, shown, revision_now).
Answer = Callable[[Hashable, int, Callable[[], Any], Callable[[], int | None]], Any]


class StaleAnswer(RuntimeError):
    """A kept answer differs from the one made again: a change did not move the revision."""


def checking() -> bool:
    """`ANSWERS_CHECK`: make every kept answer again and compare (`1`), or trust it (`0`, the default)."""
    return env_flag("ANSWERS_CHECK")


class KeptAnswers:
    """`answers(key, revision, shown, revision_now)`: the JSON answer of `schema.dump(shown())` for
    `key` at `revision`, made once and then sent as it was made (`shown` is called only to make
    it; `revision_now`, reading the revision again, only when checking finds a difference)."""

    def __init__(self, schema: Schema, size: int = DEFAULT_SIZE, check: bool | None = None):
        self._schema = schema
        self._size = size
        self._check = checking() if check is None else check
        self._kept: dict[Hashable, tuple[int, bytes]] = {}
        self._lock = threading.Lock()  # for the writers; a reader's dict.get needs none

    def __call__(
        self, key: Hashable, revision: int, shown: Callable[[], Any], revision_now: Callable[[], int | None]
    ) -> Response:
        kept = self._kept.get(key)
        if kept is not None and kept[0] == revision and not self._check:
            return self._response(kept[1])
        made = cast(Response, current_app.json.response(self._schema.dump(shown())))  # jsonify's own bytes
        body = made.get_data()
        if kept is not None and kept[0] == revision and kept[1] != body and revision_now() == revision:
            raise StaleAnswer(f"the answer kept for {key!r} at revision {revision} is not what it shows now")
        with self._lock:
            self._kept.pop(key, None)
            while len(self._kept) >= self._size:
                del self._kept[next(iter(self._kept))]
            self._kept[key] = (revision, body)
        return self._response(body)

    @staticmethod
    def _response(body: bytes) -> Response:
        return current_app.response_class(body, mimetype="application/json")

    def __len__(self) -> int:
        return len(self._kept)
