"""The storage adapter: the local filesystem and S3-compatible object storage (a real server over
HTTP: MUMARIS_TEST_S3_URL, else moto's server), behind the same three calls."""

import uuid

import pytest

from applications.adapters.storage import LocalStorage, S3Storage
from applications.settings import S3Settings

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64


def _round_trip(storage):
    key = f"MR-TEST-{uuid.uuid4().hex[:4]}/{uuid.uuid4()}"
    storage.put(key, PDF, "application/pdf")
    assert storage.get(key) == PDF
    storage.put(key, b"%PDF-replaced", "application/pdf")
    assert storage.get(key) == b"%PDF-replaced"
    storage.delete(key)
    return key


def test_local_storage_keeps_writes_and_deletes_files(tmp_path):
    storage = LocalStorage(tmp_path)
    key = _round_trip(storage)
    assert not (tmp_path / key).exists()
    with pytest.raises(ValueError):
        storage.put("../outside", PDF, "application/pdf")


def test_s3_storage_keeps_reads_and_deletes_objects(s3_server):
    endpoint, access_key, secret_key = s3_server
    bucket = f"mumaris-test-{uuid.uuid4().hex[:8]}"
    storage = S3Storage(S3Settings(endpoint, bucket, access_key, secret_key)).ensure_bucket()
    assert storage.client.bucket_exists(bucket)
    key = _round_trip(storage)
    assert [o.object_name for o in storage.client.list_objects(bucket, recursive=True)] == []
    with pytest.raises(Exception, match="NoSuchKey|does not exist"):
        storage.get(key)


def test_documents_go_to_object_storage_through_the_api(service, s3_server, tmp_path):
    """The same upload and signed link as with local files, with the bytes in the bucket."""
    from dataclasses import replace

    from applications.app import create_app
    from applications.service import ApplicationService

    from .conftest import TOKENS

    endpoint, access_key, secret_key = s3_server
    bucket = f"mumaris-test-{uuid.uuid4().hex[:8]}"
    settings = replace(service.service.settings, storage="s3", s3=S3Settings(endpoint, bucket, access_key, secret_key))
    s3_service = ApplicationService(service.runtime, service.clock, settings)
    client = create_app(service.runtime, verifier=TOKENS.verifier, service=s3_service).test_client()
    service.client = client
    number = service.draft()
    assert service.upload(number, "degree", PDF).status_code == 201
    [stored] = list(s3_service.a.storage.client.list_objects(bucket, recursive=True))
    assert stored.object_name.startswith(f"{number}/")
    [listed] = service.get(f"/v1/applications/{number}/documents", service.people.applicant).json
    assert client.get(listed["url"].split("/api/applications", 1)[1]).data == PDF
