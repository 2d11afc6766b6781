"""``/docs`` with no network: flask-smorest renders the page, and Swagger UI's files
(``swagger_ui/``, vendored from swagger-ui-dist with its licence) are served by the
service itself, not loaded from a CDN."""

from __future__ import annotations

from flask import Blueprint

ASSETS = "/docs/assets/"

blp = Blueprint("swagger_ui", __name__, static_folder="swagger_ui", static_url_path=ASSETS.rstrip("/"))
