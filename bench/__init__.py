"""Benchmarks (`make bench`, `python -m bench.<name>`); what they share."""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import MetaData

from mumaris_shared.db import messaging_tables
from mumaris_shared.runtime import Runtime
from ops.launcher import Platform

from .fresh import infrastructure


def sqlite_runtime(directory: Path, name: str, service: str = "bench") -> Runtime:
    """A throwaway service with its outbox and inbox, on the SQLite file `<directory>/<name>.db`."""
    metadata = MetaData()
    outbox, inbox = messaging_tables(metadata)
    runtime = Runtime.create(service, outbox, inbox, url=f"sqlite:///{directory / name}.db")
    metadata.create_all(runtime.db.engine)
    return runtime


def sign_up(http, gateway: str, mail) -> tuple[str, str, str]:
    """A new, active applicant, through the gateway (the code from `mail`, the mail catcher):
    (email, password, access token)."""
    email, password = f"bench.{uuid.uuid4().hex[:8]}@example.sa", "a long bench passphrase 3"
    person = {
        "full_name": "Bench Practitioner",
        "email": email,
        "password": password,
        "national_id": "1012345678",
        "mobile": "0551234567",
        "language": "ar",
    }
    assert http.post(f"{gateway}/api/accounts/v1/accounts", json=person).status_code == 201
    message = mail.wait_for(lambda m: email in m["to"] and re.search(r"\b\d{6}\b", m.get("text") or ""), timeout=60)
    code = re.search(r"\b(\d{6})\b", message["text"]).group(1)
    assert http.post(f"{gateway}/api/accounts/v1/accounts/verify", json={"email": email, "code": code}).ok
    token = http.post(f"{gateway}/api/accounts/v1/sessions", json={"email": email, "password": password}).json()
    return email, password, token["access_token"]


REQUEST = {
    "category": "consultant",
    "specialty": "Cardiology",
    "dataflow_reference": "DF-BENCH-1",
    "qualification": {"degree": "MBBS", "institution": "King Saud University", "country": "SA", "year": 2012},
}


def new_request(http, gateway: str, token: str) -> str:
    """A draft request of the token's applicant, through the gateway: its number."""
    answer = http.post(
        f"{gateway}/api/applications/v1/applications", json=REQUEST, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["number"]


def sent_request(http, gateway: str, token: str) -> str:
    """A request of the token's applicant with the documents a consultant's needs, sent (awaiting
    payment), through the gateway: its number."""
    number, bearer = new_request(http, gateway, token), {"Authorization": f"Bearer {token}"}
    for kind in ("degree", "identity", "specialty_certificate"):
        uploaded = http.post(
            f"{gateway}/api/applications/v1/applications/{number}/documents",
            data={"kind": kind},
            files={"file": ("scan.pdf", b"%PDF-1.4\n")},
            headers=bearer,
        )
        assert uploaded.status_code == 201, uploaded.text
    sent = http.post(f"{gateway}/api/applications/v1/applications/{number}/submit", headers=bearer)
    assert sent.status_code == 200, sent.text
    return number


@contextmanager
def platform_on_free_ports(prefix: str, services: tuple[str, ...], postgres: bool) -> Iterator[Platform]:
    """`services` of the platform (ops.launcher), the gateway and a mail catcher, on free ports,
    a RabbitMQ virtual host of its own and, with `postgres`, fresh PostgreSQL databases for `services`
    (`fresh.infrastructure`; else SQLite files in the platform's var dir), and a throwaway var dir;
    all removed afterwards. The platform runs the services' migrations as it starts."""
    with (
        infrastructure(services if postgres else (), prefix=prefix) as settings,
        tempfile.TemporaryDirectory() as var_dir,
        Platform(
            # every simulated person signs in from 127.0.0.1: the gateway's per-client sign-in limit
            # (a few a second) would refuse the bench's applicants as one abusive client
            env={**settings, "LOG_LEVEL": "WARNING", "GATEWAY_AUTH_RATE": "1000r/s", "GATEWAY_AUTH_BURST": "1000"},
            var_dir=var_dir,
            services=services,
            gateway_port=0,
            ports={service: 0 for service in services},
            mailcatcher=True,
            mailcatcher_smtp_port=0,
            mailcatcher_http_port=0,
        ) as platform,
    ):
        yield platform
