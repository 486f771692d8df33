"""Time a test moves by hand, and what a service stored or answered."""

from __future__ import annotations

import sqlalchemy as sa


class Clock:
    """A clock a test moves by hand: pass it where a service takes `clock`, then `advance`."""

    __test__ = False

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, by) -> None:
        self.now += by


def stored_rows(db, metadata: sa.MetaData, leave_out: frozenset[str] | set[str] = frozenset()) -> dict[str, list]:
    """Every row of every table the service declares (but `leave_out`), comparable before and
    after a request: how a test shows that a refused request changed nothing."""
    with db.transaction() as session:
        return {
            table.name: sorted(tuple(map(repr, row)) for row in session.execute(sa.select(table)))
            for table in metadata.sorted_tables
            if table.name not in leave_out
        }


def assert_error(response, status: int, code: str) -> dict:
    """A Flask test response is the one error shape, with this status and code; its `error`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == {"error"} and response.json["error"]["code"] == code, response.json
    return response.json["error"]
