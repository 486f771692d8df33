import threading

import pytest

from mumaris_shared.loop import keep_working

pytestmark = pytest.mark.unit


def test_work_goes_on_after_a_failure_and_idles_when_there_is_none():
    stop, calls, idles = threading.Event(), [], []
    outcomes = iter([ConnectionError("database away"), True, False])

    def step():
        outcome = next(outcomes)
        calls.append(outcome)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def idle(stop_event):
        idles.append(len(calls))
        stop_event.set()

    keep_working(step, stop, idle, "test")
    assert [type(c).__name__ if isinstance(c, Exception) else c for c in calls] == ["ConnectionError", True, False]
    assert idles == [3]  # idle only once a step found no work
