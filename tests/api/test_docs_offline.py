"""/docs works without internet: Swagger UI comes from the vendored copy, not a CDN."""

from __future__ import annotations

import re
from typing import Any


def test_the_api_docs_load_every_asset_from_this_server(client: Any) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert "cdn" not in html.lower() and "https://" not in html.replace(
        "https://fastapi.tiangolo.com", "")
    assets = re.findall(r"""(?:src|href)=["']?([^"' >]+)""", html) + re.findall(
        r"url: ?'([^']+)'", html)
    assert "/static/vendor/swagger-ui-bundle.js" in assets
    assert "/static/vendor/swagger-ui.css" in assets
    for path in assets:
        assert path.startswith("/"), path
        assert client.get(path).status_code == 200, path
