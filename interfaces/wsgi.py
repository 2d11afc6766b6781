"""The WSGI application gunicorn workers import (after forking)."""

from interfaces.http import create_app
from interfaces.serving import honest_connections

app = honest_connections(create_app(create_tables=False))
