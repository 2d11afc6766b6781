"""The county explorer (``GET /``): a page of plain ES modules and hand-written CSS,
shipped in this package and served as they are, with no build step and no CDN
(decision 13). It reads and writes through the REST API with the session cookie
(``interfaces.http.session``)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response

blp = Blueprint("explorer", __name__, static_folder="static", static_url_path="/explorer")

# Only this origin's scripts, styles and data: no inline script, no framing.
POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
          "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@blp.get("/")
def page() -> Response:
    """The explorer: one page, whatever the state its URL holds."""
    response = blp.send_static_file("index.html")
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def install(app: Flask) -> None:
    app.register_blueprint(blp)
