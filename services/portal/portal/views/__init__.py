"""The pages, one blueprint per area. The paths are a contract (bookmarks and the browser tests)."""

from .account import account
from .auth import auth
from .memberships import memberships
from .public import public
from .requests import requests_
from .staff import staff

BLUEPRINTS = (public, auth, account, requests_, memberships, staff)
