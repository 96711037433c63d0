"""Accounts and roles: web login (session cookie) and API bearer tokens."""
from .models import ApiToken, User  # noqa: F401
from .views import bp  # noqa: F401
