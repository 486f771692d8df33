"""How every service's web process runs under gunicorn, in Docker images, Kubernetes and `make run`
alike: `gunicorn -c python:mumaris_shared.gunicorn_settings <service>.wsgi:app` (the bind address
is given there too). Worker and thread counts are settings (WEB_WORKERS, WEB_THREADS:
`config.web_workers`, `config.web_threads`), and so is gunicorn's access log (WEB_ACCESS_LOG, off:
the gateway logs every request)."""

import importlib
import importlib.util
from typing import Any

from gunicorn import glogging

from mumaris_shared.config import web_access_log, web_threads, web_workers
from mumaris_shared.runtime import check_settings


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


workers = web_workers()
threads = web_threads()
# One request at a time each (sync), unless WEB_THREADS asks for more (gthread).
worker_class = "sync" if threads == 1 else "gthread"
# A sync worker still busy with one request after this long is restarted. The longest a request
# may rightly take is a payment provider's call: three attempts of 10 s, with pauses between.
timeout = 60
# Request lines up to gunicorn's greatest (its default, 4094, is less than a query naming a hundred
# accounts): longer is refused 414 before the app answers.
limit_request_line = 8190
accesslog = "-" if web_access_log() else None
logger_class = "mumaris_shared.gunicorn_settings.AccessLog"
# gunicorn 27 otherwise shares one control socket (~/.gunicorn/gunicorn.ctl) among all.
control_socket_disable = True


def on_starting(server: Any) -> None:
    """Production's refusal, once, in gunicorn's master before it starts any worker: each worker
    would otherwise say it again (`web.wsgi_app` still refuses in a worker started another way).
    The service is the app's package (`<service>.wsgi:app`); its `bootstrap` names its checks (an
    app of no service, such as the bench's bare Flask, has none)."""
    package = server.app.app_uri.partition(".")[0]
    if importlib.util.find_spec(f"{package}.bootstrap") is None:
        return
    bootstrap = importlib.import_module(f"{package}.bootstrap")
    check_settings(bootstrap.SERVICE, bootstrap.PRODUCTION_CHECKS)
