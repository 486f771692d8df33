"""Waiting for what a test cannot call: events on the exchange, and state that announces itself
with no event. Never a bare sleep."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable

import pika

from mumaris_shared.broker import BrokerNodes, declare_exchange
from mumaris_shared.consumer import QUORUM
from mumaris_shared.events import EXCHANGE, Event


class EventWaiter:
    """Listens to every event on the exchange so a test can block until an asynchronous step has
    happened, instead of sleeping.

    On one node its queue is exclusive (gone with the waiter's connection). When `url` lists a
    cluster's nodes it is a quorum queue of its own, deleted on exit: it outlives the node the
    waiter is connected to, so the waiter moves to another node and misses nothing."""

    def __init__(self, url: str, binding: str = "#"):
        self.url, self.binding = url, binding
        self.nodes = BrokerNodes(url, name="event-waiter")
        self.queue = f"event-waiter-{uuid.uuid4().hex[:12]}" if len(self.nodes) > 1 else ""
        self.events: list[Event] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="event-waiter")

    def __enter__(self) -> EventWaiter:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("event waiter could not bind its queue")
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _declare(self, channel) -> str:
        if not self.queue:
            return channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        channel.queue_declare(self.queue, durable=True, arguments=QUORUM)
        return self.queue

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection = self.nodes.connect()
                channel = connection.channel()
                declare_exchange(channel, create=True)
                queue = self._declare(channel)
                channel.queue_bind(queue, EXCHANGE, routing_key=self.binding)
                channel.basic_consume(queue, self._on_message, auto_ack=True)
                self._ready.set()
                while not self._stop.is_set():
                    connection.process_data_events(time_limit=0.1)
                if self.queue:
                    channel.queue_delete(self.queue)
                connection.close()
            except pika.exceptions.AMQPError:
                self._stop.wait(0.5)  # the test is playing a broker outage: listen again when it is back

    def _on_message(self, _channel, _method, _properties, body: bytes) -> None:
        with self._changed:
            self.events.append(Event.from_json(body))
            self._changed.notify_all()

    def wait_for(
        self, event_type: str, where: Callable[[Event], bool] = lambda _e: True, count: int = 1, timeout: float = 30
    ) -> list[Event]:
        matching: list[Event] = []
        looked_at = 0

        def enough() -> bool:
            # Only the events that arrived since the last look: a wait for thousands stays linear.
            nonlocal looked_at
            matching.extend(e for e in self.events[looked_at:] if e.type == event_type and where(e))
            looked_at = len(self.events)
            return len(matching) >= count

        with self._changed:
            if not self._changed.wait_for(enough, timeout):
                raise AssertionError(
                    f"waited {timeout}s for {count} x {event_type}; saw {json.dumps([e.type for e in self.events])}"
                )
            return matching


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.05) -> None:
    """For state that announces itself with no event (a row, a queue's depth): check it until it
    holds, failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
