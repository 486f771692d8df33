"""How every service's web process runs under gunicorn, in Docker images, Kubernetes and `make run`
alike: `gunicorn -c python:mumaris_shared.gunicorn_settings <service>.wsgi:app` (the bind address
is given there too). Worker and thread counts are settings (WEB_WORKERS, WEB_THREADS:
`config.web_workers`, `config.web_threads`)."""

from mumaris_shared.config import web_threads, web_workers

worker_class = "gthread"
workers = web_workers()
threads = web_threads()
# Request lines up to gunicorn's greatest (its default, 4094, is less than a query naming a hundred
# accounts): longer is refused 414 before the app answers.
limit_request_line = 8190
accesslog = "-"
# gunicorn 27 otherwise shares one control socket (~/.gunicorn/gunicorn.ctl) among all.
control_socket_disable = True
