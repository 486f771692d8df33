"""Mumaris test support, for the tests of every service and tier (never imported by running
code: the production images do not carry it). The fixtures come with the pytest plugin
(`plugin.py`); the helpers a test imports are here."""

from .broker import Broker, PrivateBroker, publish_as, publish_as_producer
from .cluster import Node, PrivateCluster
from .records import Clock, assert_error, stored_rows
from .tokens import TestTokens
from .waiting import EventWaiter, wait_until

__all__ = [
    "Broker",
    "Clock",
    "EventWaiter",
    "Node",
    "PrivateBroker",
    "PrivateCluster",
    "TestTokens",
    "assert_error",
    "publish_as",
    "publish_as_producer",
    "stored_rows",
    "wait_until",
]
