"""Templates, filters and the friendly error pages shared by every HTML route.

Page routes use `PageRoute`: any refusal raised while building a page (not logged in,
forbidden, not found, invalid id) becomes an HTML answer — a redirect to the log-in page,
or a friendly 403/404 page — instead of the API's JSON problem document.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from steerco import __version__
from steerco.accounts.errors import Forbidden, Unauthenticated
from steerco.kit import numbers
from steerco.kit.errors import NotFound, SteercoError, ValidationFailed
from steerco.views import glossary

WEB = Path(__file__).resolve().parent.parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"

#: Roles whose top bar lists Finance: those who keep the books or steer with them (anyone
#: logged in may read the finance pages; these are the roles that work there).
FINANCE_ROLES = ("admin", "controller", "strategy_office", "executive")

#: How each computed status is shown: label, css class, symbol (never colour alone).
STATUS = {
    "on_track": ("On track", "ok", "●"),
    "achieved": ("Achieved", "ok", "✓"),
    "at_risk": ("At risk", "warn", "▲"),
    "off_track": ("Off track", "bad", "■"),
    "missed": ("Missed", "bad", "✕"),
    "stale": ("Stale", "stale", "◷"),
    "no_data": ("No data", "none", "○"),
}
SEVERITY = {3: ("■ Critical", "bad"), 2: ("▲ Warning", "warn"), 1: ("● Info", "none"),
            0: ("● Info", "none")}


def _status_badge(name: str | None) -> Markup:
    label, css, sym = STATUS.get(name or "no_data", (str(name), "none", "○"))
    return Markup('<span class="badge s-{}"><span aria-hidden="true">{}</span> {}</span>'
                  ).format(css, sym, label)


def _num(x: Any, near: Any = None) -> str:
    """A figure with enough digits that it never reads as `near` (its target, its plan)."""
    return numbers.number(x, near)


def _pct(x: Any, near: Any = None) -> str:
    return numbers.percent(x, near)


def _money(x: Any, currency: str | None = None) -> str:
    return numbers.money(x, currency or "EUR")


def _count(x: Any) -> str:
    return numbers.count(x)


def _date(x: Any) -> str:
    if x is None or x == "":
        return "—"
    if isinstance(x, str):
        if x == "never":
            return "never"
        x = dt.date.fromisoformat(x[:10])
    # As the engine's sentences write dates ("1 Oct 2026", core.status.format_day), so a
    # page and the reason beside it read alike.
    if isinstance(x, dt.datetime):
        return f"{x.day} {x.strftime('%b %Y %H:%M')}"
    return f"{x.day} {x.strftime('%b %Y')}"


def _month(x: Any) -> str:
    """A month (a budget period) as the pages write it: "Dec 2026"."""
    if x is None or x == "":
        return "—"
    if isinstance(x, str):
        x = dt.date.fromisoformat(x[:10] if len(x) > 7 else f"{x[:7]}-01")
    return str(x.strftime("%b %Y"))


def _term(key: str, label: str | None = None) -> Markup:
    """A term of the glossary with its explanation as tooltip: `{{ term('spi') }}`."""
    name, text = glossary.TERMS[key]
    return Markup('<abbr title="{}">{}</abbr>').format(text, label or name)


def _kind(kind: Any) -> Markup:
    """A finding kind in plain words, its meaning as tooltip."""
    text = glossary.kind_help(kind)
    if not text:
        return Markup("{}").format(glossary.kind_name(kind))
    return Markup('<abbr title="{}">{}</abbr>').format(text, glossary.kind_name(kind))


#: The terms a sentence of the engine may use that get their explanation on the page.
_GLOSSED = re.compile("|".join(r"(?<!\w)" + re.escape(glossary.TERMS[k][0]) + r"(?![\w(])"
                               for k in ("spi", "cpi", "p_hit")))
_BY_LABEL = {glossary.TERMS[k][0]: glossary.TERMS[k][1] for k in ("spi", "cpi", "p_hit")}


def _glossed(text: Any) -> Markup:
    """A sentence (a finding's explanation, an escalation's summary) with the terms of the
    glossary in it explained as on the rest of the page."""
    out, at = Markup(""), 0
    s = str(text or "")
    for m in _GLOSSED.finditer(s):
        out += Markup("{}<abbr title=\"{}\">{}</abbr>").format(
            s[at:m.start()], _BY_LABEL[m.group(0)], m.group(0))
        at = m.end()
    return out + Markup("{}").format(s[at:])


def _humanize(name: Any) -> str:
    return str(name or "").replace("_", " ").capitalize()


def _json(value: Any) -> Markup:
    text = json.dumps(value, default=str, separators=(",", ":"))
    # Safe inside <script type="application/json">: no tag can close early.
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _qs(request: Request, **changes: Any) -> str:
    params = dict(request.query_params)
    for k, v in changes.items():
        if v is None or v == "":
            params.pop(k, None)
        else:
            params[k] = str(v)
    return "?" + urlencode(params) if params else "?"


ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(),
                  trim_blocks=True, lstrip_blocks=True, auto_reload=False)
ENV.filters.update(status=_status_badge, num=_num, pct=_pct, money=_money, whole=_count,
                   date=_date, month=_month, kind=_kind, kind_name=glossary.kind_name,
                   kind_help=glossary.kind_help, level=glossary.level_name, glossed=_glossed,
                   humanize=_humanize, tojson_safe=_json)
ENV.globals.update(STATUS=STATUS, SEVERITY=SEVERITY, version=__version__, qs=_qs,
                   term=_term, TERMS=glossary.TERMS, FINANCE_ROLES=FINANCE_ROLES)


def render(request: Request, template: str, status_code: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """Render `template` with the request's user and `context`."""
    user = getattr(request.state, "page_user", None)
    html = ENV.get_template(template).render(request=request, user=user, **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def error_page(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    """The friendly page of a refusal (403, 404, 400)."""
    return render(request, "error.html", status_code=status_code, code=status_code,
                  title=title, detail=detail)


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": "/login"})
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def refusal(request: Request, exc: Exception) -> Response | None:
    """The HTML answer to a refusal raised while building a page, or None (a bug)."""
    if isinstance(exc, Unauthenticated):
        return login_redirect(request)
    if isinstance(exc, Forbidden):
        return error_page(request, 403, "You may not see this",
                          f"{exc.detail}. Ask your strategy office for access if you need it.")
    if isinstance(exc, NotFound | ValidationFailed):
        return error_page(request, 404, "Not found",
                          "There is nothing here — it may have been removed, or the link is "
                          "mistyped.")
    if isinstance(exc, SteercoError):  # e.g. 413 for a body over the limit
        return error_page(request, int(getattr(exc, "status", 400)), exc.title, exc.detail)
    return None


class PageRoute(APIRoute):
    """A route whose refusals are answered with HTML pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except SteercoError as exc:
                answer = refusal(request, exc)
                if answer is None:
                    raise
                return answer

        return handler
