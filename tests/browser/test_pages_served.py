"""The pages and their assets as served: HTML at /agent and /wallboard, scripts and style under /static/
(revalidated on each load), nothing else from the package folder, and nothing fetched from the internet."""

from __future__ import annotations

import re

import httpx

from ccserver.web import WEB_DIR


async def test_pages_and_assets_are_served_and_the_folders_python_is_not(api_client: httpx.AsyncClient) -> None:
    agent, wallboard = await api_client.get("/agent"), await api_client.get("/wallboard")
    script, style = await api_client.get("/static/agent.js"), await api_client.get("/static/style.css")

    assert (agent.status_code, agent.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert 'src="/static/agent.js"' in agent.text and 'src="/static/wallboard.js"' in wallboard.text
    assert "default-src 'self'" in wallboard.headers["content-security-policy"]
    assert wallboard.headers["referrer-policy"] == "no-referrer"  # its address may carry ?key=
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert style.headers["content-type"].startswith("text/css") and style.headers["cache-control"] == "no-cache"
    assert (await api_client.get("/static/__init__.py")).status_code == 404
    assert (await api_client.get("/static/agent.html")).status_code == 404
    assert (await api_client.get("/static/nothing.js")).status_code == 404


def test_the_pages_load_nothing_from_the_internet() -> None:
    for path in WEB_DIR.glob("*.*"):
        if path.suffix in (".html", ".js", ".css"):
            text = path.read_text()
            remote = re.findall(r"""(?:src|href|url|import)\s*[=(]?\s*["']?(?:https?:)?//""", text)
            assert not remote, f"{path.name} loads {remote}"
