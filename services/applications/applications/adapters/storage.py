"""Where documents' bytes live, behind one small interface: the local filesystem (the default, for
`make run`) or S3-compatible object storage (production; MinIO in docker compose). Rows about the
documents live in the database; a key is `<request number>/<document id>`."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Protocol

from ..settings import S3Settings, Settings


class Storage(Protocol):
    def put(self, key: str, content: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"a key outside the storage: {key!r}")
        return path

    def put(self, key: str, content: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: a reader never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(content)
        os.replace(handle.name, path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    def __init__(self, settings: S3Settings):
        from minio import Minio

        self.bucket = settings.bucket
        endpoint = settings.endpoint.removeprefix("http://").removeprefix("https://")
        self.client = Minio(
            endpoint,
            access_key=settings.access_key,
            secret_key=settings.secret_key,
            secure=settings.secure,
            region=settings.region,
        )

    def ensure_bucket(self) -> S3Storage:
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)
        return self

    def put(self, key: str, content: bytes, content_type: str) -> None:
        self.client.put_object(self.bucket, key, io.BytesIO(content), len(content), content_type=content_type)

    def get(self, key: str) -> bytes:
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)


def storage_for(settings: Settings) -> Storage:
    if settings.storage == "s3":
        return S3Storage(settings.s3).ensure_bucket()
    return LocalStorage(settings.document_dir)
