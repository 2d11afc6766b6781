"""gunicorn configuration: ``gunicorn -c gunicorn.conf.py`` (settings from GRASSROOTS_* variables)."""

from interfaces.serving import gunicorn_settings

globals().update(gunicorn_settings())
