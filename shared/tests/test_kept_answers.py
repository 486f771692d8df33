"""mumaris_shared.kept_answers: an answer is made once per revision, sent again as it was made,
and (when checking) a kept answer that a change without a new revision made wrong is refused."""

import pytest
from flask import Flask
from marshmallow import Schema, fields

from mumaris_shared.kept_answers import KeptAnswers, StaleAnswer, checking

pytestmark = pytest.mark.unit


class Shown(Schema):
    status = fields.String()


class Thing:
    """A stored thing: what it shows, its revision, and how often it was shown."""

    def __init__(self, status="draft", revision=0):
        self.status, self.revision, self.shown = status, revision, 0

    def show(self):
        self.shown += 1
        return {"status": self.status}


@pytest.fixture
def app():
    app = Flask("kept")
    with app.app_context():
        yield app


def _answer(answers, thing, key="MR-1", revision=None):
    return answers(key, thing.revision if revision is None else revision, thing.show, lambda: thing.revision).get_json()


def test_an_answer_is_made_once_per_revision_and_sent_again(app):
    answers, thing = KeptAnswers(Shown(), check=False), Thing()
    assert _answer(answers, thing) == _answer(answers, thing) == {"status": "draft"}
    assert thing.shown == 1
    thing.status, thing.revision = "submitted", 1
    assert _answer(answers, thing) == {"status": "submitted"}
    assert thing.shown == 2


def test_the_answer_is_the_json_the_schema_dumps(app):
    made = KeptAnswers(Shown(), check=False)("MR-1", 0, lambda: {"status": "draft", "secret": "x"}, lambda: 0)
    assert made.mimetype == "application/json"
    assert made.get_data() == app.json.response({"status": "draft"}).get_data()


def test_at_most_size_answers_are_kept_the_oldest_made_dropped_first(app):
    answers, things = KeptAnswers(Shown(), size=2, check=False), [Thing() for _ in range(3)]
    for key, thing in enumerate(things):
        _answer(answers, thing, key=key)
    assert len(answers) == 2
    _answer(answers, things[2], key=2)
    _answer(answers, things[0], key=0)
    assert [thing.shown for thing in things] == [2, 1, 1]


def test_checking_refuses_a_kept_answer_a_change_without_a_new_revision_made_wrong(app):
    answers, thing = KeptAnswers(Shown(), check=True), Thing()
    _answer(answers, thing)
    assert _answer(answers, thing) == {"status": "draft"}  # made again, the same: sent
    thing.status = "submitted"  # changed, the revision not moved
    with pytest.raises(StaleAnswer, match="MR-1"):
        _answer(answers, thing)


def test_checking_allows_a_change_committed_between_the_row_and_the_rest(app):
    """PostgreSQL's reads run without a transaction: the row can be read at one revision and the
    rest after a change. That change moved the revision: no fault, and the newer answer is sent."""
    answers, thing = KeptAnswers(Shown(), check=True), Thing()
    _answer(answers, thing)
    thing.status, thing.revision = "submitted", 1
    assert _answer(answers, thing, revision=0) == {"status": "submitted"}


def test_the_check_is_a_setting(monkeypatch):
    monkeypatch.delenv("ANSWERS_CHECK", raising=False)
    assert checking() is False
    monkeypatch.setenv("ANSWERS_CHECK", "1")
    assert checking() is True
    monkeypatch.setenv("ANSWERS_CHECK", "yes")
    with pytest.raises(ValueError, match="ANSWERS_CHECK"):
        checking()
