"""The web processes' worker and thread counts: settings, with defaults from the CPUs."""

import importlib

import pytest

from mumaris_shared import config

pytestmark = pytest.mark.unit


def test_a_worker_per_available_cpu_and_one_more_each_one_request_at_a_time(monkeypatch):
    monkeypatch.delenv("WEB_WORKERS", raising=False)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    for cpus in (1, 2, 3, 16):
        monkeypatch.setattr(config, "available_cpus", lambda cpus=cpus: cpus)
        assert (config.web_workers(), config.web_threads()) == (cpus + 1, 1)


def test_the_settings_win_over_the_defaults(monkeypatch):
    monkeypatch.setattr(config, "available_cpus", lambda: 2)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    monkeypatch.setenv("WEB_WORKERS", "5")
    assert (config.web_workers(), config.web_threads()) == (5, 1)
    monkeypatch.setenv("WEB_THREADS", "16")
    assert (config.web_workers(), config.web_threads()) == (5, 16)


@pytest.mark.parametrize("name", ["WEB_WORKERS", "WEB_THREADS"])
def test_a_count_below_one_is_refused(monkeypatch, name):
    monkeypatch.setenv(name, "0")
    with pytest.raises(ValueError, match=name):
        config.web_workers() if name == "WEB_WORKERS" else config.web_threads()


def test_gunicorn_reads_them(monkeypatch):
    monkeypatch.setenv("WEB_WORKERS", "2")
    monkeypatch.setenv("WEB_THREADS", "5")
    settings = importlib.reload(importlib.import_module("mumaris_shared.gunicorn_settings"))
    assert (settings.workers, settings.threads, settings.worker_class) == (2, 5, "gthread")
    monkeypatch.setenv("WEB_THREADS", "1")  # the default: one request at a time in each worker
    assert importlib.reload(settings).worker_class == "sync"


def test_gunicorn_logs_each_request_only_when_asked(monkeypatch):
    monkeypatch.delenv("WEB_ACCESS_LOG", raising=False)
    settings = importlib.reload(importlib.import_module("mumaris_shared.gunicorn_settings"))
    assert settings.accesslog is None  # the gateway's line is the one
    monkeypatch.setenv("WEB_ACCESS_LOG", "1")
    assert importlib.reload(settings).accesslog == "-"
    monkeypatch.setenv("WEB_ACCESS_LOG", "yes")
    with pytest.raises(ValueError, match="WEB_ACCESS_LOG"):
        importlib.reload(settings)


def test_a_container_cpu_limit_caps_the_cpus(monkeypatch, tmp_path):
    limit = tmp_path / "cpu.max"
    limit.write_text("150000 100000\n")  # one and a half CPUs: two workers
    real_path = config.Path
    monkeypatch.setattr(config, "Path", lambda p: limit if p == "/sys/fs/cgroup/cpu.max" else real_path(p))
    monkeypatch.setattr(config.os, "sched_getaffinity", lambda pid: set(range(8)))
    assert config.available_cpus() == 2
    limit.write_text("max 100000\n")
    assert config.available_cpus() == 8


def test_the_access_log_line_is_gunicorn_s_own(tmp_path):
    import datetime
    import logging
    from types import SimpleNamespace

    from gunicorn import glogging
    from gunicorn.config import Config

    from mumaris_shared.gunicorn_settings import AccessLog

    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/v1/status/MR-1?x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_USER_AGENT": "wrk",
    }
    response = SimpleNamespace(status="200 OK", sent=81, headers=[("Content-Type", "application/json")])
    request = SimpleNamespace(headers=[("USER-AGENT", "wrk")])
    lines = []
    for logger_class in (glogging.Logger, AccessLog):
        logger = logger_class(config)
        logger.now = lambda: "[26/Nov/2026:07:00:00 +0000]"
        capture = logging.Handler()
        capture.emit = lambda record: lines.append(record.getMessage())
        logger.access_log.addHandler(capture)
        try:
            logger.access(response, request, environ, datetime.timedelta(milliseconds=3))
        finally:
            logger.access_log.removeHandler(capture)
    assert (
        lines[0]
        == lines[1]
        == '127.0.0.1 - - [26/Nov/2026:07:00:00 +0000] "GET /v1/status/MR-1?x=1 HTTP/1.1" 200 81 "-" "wrk"'
    )
