"""What goes into the images: the Dockerfiles copy each service and mumaris_shared, and the build
context (`.dockerignore`) leaves out the tests, the test package and local state."""

import fnmatch
import re
from pathlib import Path

import pytest

from ops.processes import SERVICES

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _ignored(path: str) -> bool:
    """Whether `.dockerignore` leaves `path` out: a pattern matches it or a directory above it
    (`**/x` matches `x` at any depth)."""
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    anywhere = [p.removeprefix("**/") for p in patterns if p.startswith("**/")]
    return any(fnmatch.fnmatch(prefix, p) for p in patterns for prefix in prefixes) or any(
        fnmatch.fnmatch(part, p) for p in anywhere for part in parts
    )


@pytest.mark.parametrize("service", SERVICES)
def test_an_image_carries_its_service_but_no_tests(service):
    dockerfile = (ROOT / "services" / service / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (?!--from)(\S+)", dockerfile, re.M)
    assert "shared/" in copied and f"services/{service}/" in copied
    for source in copied:
        assert not _ignored(source.rstrip("/")), f"{source} is left out of the build context"
    for left_out in (f"services/{service}/tests/test_x.py", "shared/tests/test_x.py", "shared/testing/mumaris_testing"):
        assert _ignored(left_out), left_out
    assert not _ignored(f"services/{service}/{service}/app.py") and not _ignored("shared/mumaris_shared/web.py")
