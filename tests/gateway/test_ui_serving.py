"""The chat page's static files: served at / and /ui/ in development, off in production unless enabled."""

from __future__ import annotations

from typing import Any


def test_page_and_assets_are_served(http: Any, gateway: Any) -> None:
    for path in ("/", "/ui/"):
        response = http.get(gateway.url + path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert '<textarea id="question"' in response.text
    assert http.get(gateway.url + "/ui", follow_redirects=False).headers["location"] == "/ui/"
    for asset in ("app.js", "api.js", "render.js", "viewer.js", "style.css"):
        response = http.get(f"{gateway.url}/ui/assets/{asset}")
        assert response.status_code == 200, asset
        assert "https://" not in response.text.replace("https://www.sec.gov/", ""), (
            f"{asset} loads from a CDN"
        )


def test_page_is_off_in_production_unless_enabled(make_gateway: Any, http: Any) -> None:
    off = make_gateway(environment="production", api_keys="k")
    assert http.get(off.url + "/").status_code == 404
    assert http.get(off.url + "/ui/assets/app.js").status_code == 404
    # A browser following a content link then gets the API's answer, not a redirect to a missing page.
    link = http.get(
        off.base_url + "/files/file-x/content", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert link.status_code == 401
    on = make_gateway(environment="production", api_keys="k", ui_enabled=True)
    assert http.get(on.url + "/").status_code == 200


def test_page_can_be_switched_off_in_development(make_gateway: Any, http: Any) -> None:
    assert http.get(make_gateway(ui_enabled=False).url + "/ui/").status_code == 404
