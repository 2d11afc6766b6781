"""The WSGI application gunicorn workers import (after forking)."""

from interfaces.http import create_app

app = create_app(create_tables=False)
