"""How every service's web process runs under gunicorn, in Docker images, Kubernetes and `make run`
alike: `gunicorn -c python:mumaris_shared.gunicorn_settings <service>.wsgi:app` (the bind address
is given there too). Worker and thread counts are settings (WEB_WORKERS, WEB_THREADS:
`config.web_workers`, `config.web_threads`)."""

from typing import Any

from gunicorn import glogging

from mumaris_shared.config import web_threads, web_workers


class AccessLog(glogging.Logger):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn's access log line, in its default format (Apache's "combined"), made from the few
    values it shows: gunicorn's own `access` first builds a dictionary of every header and
    environment variable of the request, a tenth of a look-up's time."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        sent = getattr(resp, "sent", None)
        self.access_log.info(
            '%s - %s %s "%s %s %s" %s %s "%s" "%s"',
            environ.get("REMOTE_ADDR", "-"),
            self._get_user(environ) or "-",
            self.now(),
            environ["REQUEST_METHOD"],
            environ["RAW_URI"],
            environ["SERVER_PROTOCOL"],
            status,
            "-" if sent is None else sent,
            environ.get("HTTP_REFERER", "-"),
            environ.get("HTTP_USER_AGENT", "-"),
        )


worker_class = "gthread"
workers = web_workers()
threads = web_threads()
# Request lines up to gunicorn's greatest (its default, 4094, is less than a query naming a hundred
# accounts): longer is refused 414 before the app answers.
limit_request_line = 8190
accesslog = "-"
logger_class = "mumaris_shared.gunicorn_settings.AccessLog"
# gunicorn 27 otherwise shares one control socket (~/.gunicorn/gunicorn.ctl) among all.
control_socket_disable = True
