"""The signing keys: sealed at rest, rotated, revoked (adapters/keys.py, adapters/sealing.py)."""

import jwt
import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts import cli
from accounts.adapters.orm import signing_keys_table
from accounts.adapters.sealing import KeySealer, key_encryption_key, new_key_encryption_key
from accounts.settings import KEY_ENCRYPTION_KEY
from mumaris_shared.migrations import alembic_config, upgrade
from mumaris_testing import assert_error

pytestmark = pytest.mark.integration


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _stored_keys(service):
    with service.runtime.db.transaction() as session:
        return session.execute(sa.select(signing_keys_table)).all()


def _published(service):
    return [key["kid"] for key in service.client.get("/.well-known/jwks.json").json["keys"]]


def test_a_private_key_is_stored_sealed_and_opens_only_with_the_key_encryption_key_for_its_kid(service):
    service.register_active()
    kid = jwt.get_unverified_header(service.login().json["access_token"])["kid"]
    [stored] = _stored_keys(service)
    assert stored.kid == kid and "PRIVATE KEY" not in stored.private_key
    sealer = KeySealer(key_encryption_key(KEY_ENCRYPTION_KEY.required()))
    assert b"PRIVATE KEY" in sealer.open(kid, stored.private_key)
    with pytest.raises(ValueError, match="does not open"):
        KeySealer(key_encryption_key(new_key_encryption_key())).open(kid, stored.private_key)
    with pytest.raises(ValueError, match="does not open"):
        sealer.open("another-kid", stored.private_key)


def test_keys_stored_in_plain_text_before_are_sealed_by_the_migration(database_url):
    config = alembic_config("accounts", database_url)
    command.upgrade(config, "0001")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO signing_keys (kid, private_pem, created_at, active) VALUES ('k1', :pem, :at, :on)"),
            {"pem": pem, "at": "2026-01-01 00:00:00", "on": True},
        )
    upgrade("accounts", database_url)
    with engine.connect() as connection:
        [row] = connection.execute(sa.text("SELECT kid, private_key, retired_at FROM signing_keys")).all()
    engine.dispose()
    assert row.private_key.startswith("aes256gcm:") and "PRIVATE KEY" not in row.private_key
    assert row.retired_at is None
    assert KeySealer(key_encryption_key(KEY_ENCRYPTION_KEY.required())).open("k1", row.private_key) == pem.encode()


def test_after_a_rotation_the_old_key_verifies_until_its_last_token_expires_then_leaves_the_jwks(service):
    service.register_active()
    old_token = service.login().json["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    new_kid, retired = service.accounts.keys.rotate()
    new_token = service.login().json["access_token"]
    assert retired == [old_kid] and jwt.get_unverified_header(new_token)["kid"] == new_kid != old_kid
    assert sorted(_published(service)) == sorted([old_kid, new_kid])
    for token in (old_token, new_token):
        assert service.client.get("/v1/me", headers=_bearer(token)).status_code == 200

    service.clock.advance(service.accounts.settings.token_ttl)  # the old key's last token has just expired
    service.clock.advance(service.accounts.settings.token_ttl)  # ... and the margin is long past
    assert _published(service) == [new_kid]


def test_a_revoked_key_stops_verifying_at_once_and_a_new_one_signs(service):
    service.register_active()
    token = service.login().json["access_token"]
    kid = jwt.get_unverified_header(token)["kid"]
    assert service.accounts.keys.revoke(kid)
    assert_error(service.client.get("/v1/me", headers=_bearer(token)), 401, "invalid_token")
    assert kid not in _published(service)
    fresh = service.login().json["access_token"]
    assert jwt.get_unverified_header(fresh)["kid"] != kid
    assert service.client.get("/v1/me", headers=_bearer(fresh)).status_code == 200


def test_rotate_and_revoke_are_operators_commands(service, database_url, monkeypatch, capsys):
    monkeypatch.setenv("ACCOUNTS_DATABASE_URL", database_url)
    service.register_active()
    first = jwt.get_unverified_header(service.login().json["access_token"])["kid"]
    assert cli.main(["rotate-keys"]) == 0
    assert f"retired (verifying until their tokens expire): {first}" in capsys.readouterr().out
    assert cli.main(["revoke-key", first]) == 0
    assert cli.main(["revoke-key", first]) == 1
    assert "no signing key" in capsys.readouterr().err
    assert first not in _published(service)


@pytest.mark.postgres
def test_processes_needing_the_first_key_at_once_make_one_and_sign_with_it(database_url):
    import threading
    from datetime import timedelta

    from accounts.adapters.keys import KeyStore
    from mumaris_shared.db import Database
    from mumaris_shared.events import utcnow

    upgrade("accounts", database_url)
    sealer = KeySealer(key_encryption_key(KEY_ENCRYPTION_KEY.required()))
    databases = [Database(database_url) for _ in range(4)]  # four workers, each with its own connections
    stores = [KeyStore(db, sealer, timedelta(minutes=15), timedelta(minutes=1), utcnow) for db in databases]
    together, kids = threading.Barrier(len(stores)), []

    def sign(store):
        together.wait()
        kids.append(store.signing_key()[0])

    threads = [threading.Thread(target=sign, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(kids) == 4 and len(set(kids)) == 1
        with databases[0].transaction() as session:
            assert session.execute(sa.select(signing_keys_table.c.kid)).scalars().all() == kids[:1]
    finally:
        for db in databases:
            db.dispose()
