"""Who may do what on the broker (docs/security.md, "The broker").

Each service connects to RabbitMQ as a user of its own: `<SERVICE>_RABBITMQ_USER` (default
`mumaris-<service>`) with the secret `<SERVICE>_RABBITMQ_PASSWORD`, at the node and virtual host
RABBITMQ_URL names. In that virtual host a service may
  configure  only its own queues and exchange: `<service>.events`, `<service>.retry.N`,
             `<service>.dead`, `<service>.direct`;
  write      to `mumaris.events` only with routing keys `<service>.*` (a topic permission), and to
             its own queues and exchange (nothing else: not the default exchange);
  read       its own queues, and `mumaris.events` to bind its queue to it.
Every message carries `user_id`, which RabbitMQ checks against the connection's user, and a
consumer parks an event whose type does not belong to the service RabbitMQ vouched for
(`consumer.Consumer`).

    python -m mumaris_shared.broker_access definitions [--vhost V] [--admin]

prints these users and permissions, and the exchange, as RabbitMQ definitions (passwords as salted
hashes): `ops/infra.sh` imports them with `rabbitmqctl import_definitions`, docker compose loads
them when RabbitMQ boots."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from pika.spec import BasicProperties

from .broker import node_urls
from .config import Secret, env, rabbitmq_url
from .events import EXCHANGE

# The services that speak on the bus (the portal does not).
SERVICES = ("accounts", "applications", "billing", "notifications")

# On a copy a service makes of a message (a retry, a parked message replayed): the user RabbitMQ
# vouched for when the original arrived.
PUBLISHER_HEADER = "x-mumaris-publisher"

ADMIN_PASSWORD = Secret("RABBITMQ_ADMIN_PASSWORD", dev_default="mumaris")


def user(service: str) -> str:
    return env(f"{service.upper()}_RABBITMQ_USER", f"mumaris-{service}")


def password(service: str) -> Secret:
    return Secret(f"{service.upper()}_RABBITMQ_PASSWORD", dev_default=f"mumaris-{service}-dev")


def with_credentials(url: str, username: str, secret: str) -> str:
    """`url` with its user and password replaced."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(username, safe='')}:{quote(secret, safe='')}@{host}"))


def service_url(service: str, base: str | None = None) -> str:
    """The URL `service` connects with: the broker of `base` (RABBITMQ_URL; every node of a
    cluster), as its own user."""
    username, secret = user(service), password(service).required()
    return ",".join(with_credentials(url, username, secret) for url in node_urls(base or rabbitmq_url()))


def vhost_of(url: str) -> str:
    return unquote(urlsplit(node_urls(url)[0]).path.lstrip("/")) or "/"


def own_exchange(service: str) -> str:
    """The service's direct exchange: how it reaches its own queues by name (retries, parking,
    replays) without the right to write to the default exchange, which reaches every queue."""
    return f"{service}.direct"


def permissions(service: str) -> dict[str, str]:
    own = rf"{re.escape(service)}\..*"
    shared_or_own = rf"^({re.escape(EXCHANGE)}|{own})$"
    return {
        "configure": f"^{own}$",
        "write": shared_or_own,
        "read": shared_or_own,
        "topic_write": f"^{own}$",  # routing keys on mumaris.events: its own event types only
        "topic_read": ".*",  # any service may listen to any event
    }


def publishers(services: Iterable[str] = SERVICES) -> dict[str, str]:
    """Broker user -> the service it is."""
    return {user(service): service for service in services}


def vouched_user(properties: BasicProperties, own_user: str) -> str | None:
    """The user RabbitMQ vouched for as the publisher of a message. A copy this service made
    itself carries its own `user_id`; the publisher vouched for is then the one recorded on the
    copy when it was made (only this service's user can publish a message with that user_id)."""
    headers = properties.headers or {}
    if properties.user_id == own_user and PUBLISHER_HEADER in headers:
        recorded = headers[PUBLISHER_HEADER]  # "" when nobody was vouched for
        return (recorded.decode() if isinstance(recorded, bytes) else str(recorded or "")) or None
    return str(properties.user_id) if properties.user_id is not None else None


def speaks_for(publisher: str | None, event_type: str, known: Mapping[str, str]) -> bool:
    """Only a service speaks for itself: `event_type` is `<service>.…` of the publisher's service."""
    return publisher is not None and known.get(publisher) == event_type.partition(".")[0]


# --- provisioning --------------------------------------------------------------------------------
def password_hash(secret: str) -> str:
    """RabbitMQ's salted SHA-256 password hash (rabbit_password_hashing_sha256)."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + secret.encode()).digest()).decode()


def definitions(
    vhost: str,
    services: Iterable[str] = SERVICES,
    admin: tuple[str, str] | None = None,
    full_access: Iterable[str] = (),
) -> dict[str, Any]:
    """The virtual host, the exchange, each service's user and permissions; `admin` (user,
    password) an administrator of the broker; `full_access` existing users given every right in
    this virtual host (test fixtures' own)."""
    users, rights, topics = [], [], []
    for service in services:
        name, allowed = user(service), permissions(service)
        users.append(_user(name, password(service).required(), ""))
        rights.append({"user": name, "vhost": vhost, **{k: allowed[k] for k in ("configure", "write", "read")}})
        topics.append(
            {
                "user": name,
                "vhost": vhost,
                "exchange": EXCHANGE,
                "write": allowed["topic_write"],
                "read": allowed["topic_read"],
            }
        )
    everything = [*([admin[0]] if admin else []), *full_access]
    if admin:
        users.append(_user(admin[0], admin[1], "administrator"))
    rights += [{"user": name, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"} for name in everything]
    return {
        "users": users,
        "vhosts": [{"name": vhost}],
        "permissions": rights,
        "topic_permissions": topics,
        "exchanges": [
            {
                "name": EXCHANGE,
                "vhost": vhost,
                "type": "topic",
                "durable": True,
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            }
        ],
    }


def _user(name: str, secret: str, tags: str) -> dict[str, str]:
    return {
        "name": name,
        "password_hash": password_hash(secret),
        "hashing_algorithm": "rabbit_password_hashing_sha256",
        "tags": tags,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mumaris_shared.broker_access", description=__doc__)
    parser.add_argument("command", choices=["definitions"])
    parser.add_argument("--vhost", help="default: the virtual host of RABBITMQ_URL")
    parser.add_argument(
        "--admin", action="store_true", help="also an administrator: RABBITMQ_ADMIN_USER / RABBITMQ_ADMIN_PASSWORD"
    )
    args = parser.parse_args(argv)
    admin = (env("RABBITMQ_ADMIN_USER", "mumaris"), ADMIN_PASSWORD.required()) if args.admin else None
    json.dump(definitions(args.vhost or vhost_of(rabbitmq_url()), admin=admin), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
