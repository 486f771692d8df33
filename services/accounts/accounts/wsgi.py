from mumaris_shared.web import wsgi_app

from .app import create_app

app = wsgi_app(create_app)
