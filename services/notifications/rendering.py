"""Templates into messages. Templates are files: `templates/<name>.txt.j2` and `<name>.html.j2` (Jinja2,
HTML autoescaped), with their words in `locales/<locale>.toml`. A locale the catalog lacks falls back to
English; tests/notifications/test_templates.py fails on any template or locale with a missing key."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from contracts.claims import claim_workflow_id
from services.kit.l10n import local_date, local_time, money, reader_zone
from services.notifications.domain.messages import DEFAULT_LOCALE, LINKS, TEMPLATES, Audience, supported_locale

HERE = Path(__file__).parent
TEMPLATE_DIR = HERE / "templates"
LOCALE_DIR = HERE / "locales"
DATE_ONLY = frozenset({"coverage_end_at"})


class MissingText(KeyError):
    """A catalog lacks a key a template uses, or a text uses a placeholder the message does not have."""


@dataclass(frozen=True)
class Rendered:
    locale: str
    subject: str
    text: str
    html: str
    sms: str
    unsubscribe_url: str = ""  # marketing e-mails: where one click unsubscribes (RFC 8058)


@cache
def catalog(locale: str) -> dict[str, str]:
    """A locale's texts as flat "section.key" → text."""
    data = tomllib.loads((LOCALE_DIR / f"{locale}.toml").read_text(encoding="utf-8"))
    return {f"{section}.{key}": text for section, texts in data.items() for key, text in texts.items()}


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class _Strict(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise MissingText(f"no value for {{{key}}}")


def _local(variables: Mapping[str, str], locale: str, tz: Any) -> dict[str, str]:
    """The times (`*_at`) and the amount, as the reader writes them, in their zone."""
    local: dict[str, str] = {}
    for name, value in variables.items():
        if name.endswith("_at") and value:
            when = datetime.fromisoformat(value)
            local[name] = local_date(when, locale, tz) if name in DATE_ONLY else local_time(when, locale, tz)
    if "amount_minor" in variables and "currency" in variables:
        local["amount"] = money(int(variables["amount_minor"]), variables["currency"], locale)
    return local


class Renderer:
    """Renders a template in a locale. `strict` refuses to fall back to English (for tests)."""

    def __init__(self, temporal_ui_url: str = "http://localhost:8233", *, strict: bool = False):
        self.temporal_ui_url = temporal_ui_url.rstrip("/")
        self.strict = strict

    def context(
        self, template: str, locale: str, variables: Mapping[str, str], zone: str = "", link: str = ""
    ) -> dict[str, Any]:
        ctx: dict[str, Any] = dict(variables) | _local(variables, locale, reader_zone(zone))
        ctx |= self._words(template, locale, variables)
        rma, serial = variables.get("rma", ""), variables.get("serial", "")
        ctx["reference"] = variables.get("reference") or rma or serial
        if template in LINKS:
            ctx[LINKS[template][0]] = link
        elif TEMPLATES[template].audience is Audience.OPS and rma:
            ctx["claim_url"] = f"{self.temporal_ui_url}/namespaces/default/workflows/{claim_workflow_id(rma)}"
        return ctx

    def _words(self, template: str, locale: str, variables: Mapping[str, str]) -> dict[str, Any]:
        """The codes a message carries (a resolution, what is needed, a rejection's reason) in the reader's words."""
        texts = self._texts(locale)
        words: dict[str, Any] = {}
        if resolution := variables.get("resolution"):
            words["outcome"] = texts(f"outcome.{resolution}")
            words["because"] = texts(f"shipped_because.{resolution}")
        if needed := variables.get("needed"):
            words["needed_items"] = [texts(f"needed.{code}") for code in needed.split(",") if code]
        if template == "review_rejected":
            words["because"] = texts(f"rejection.{variables.get('reason') or 'OTHER'}")
        return words

    def render(
        self, template: str, locale: str, variables: Mapping[str, str], zone: str = "", link: str = ""
    ) -> Rendered:
        """`zone`: the customer's time zone (an IANA name or an offset); times are shown in it, UTC without.
        `link`: the portal's link for this message (the templates in LINKS need one)."""
        spec = TEMPLATES[template]
        locale = supported_locale(locale)
        texts = self._texts(locale)
        ctx = self.context(template, locale, variables, zone, link)

        def t(key: str) -> str:
            text: str = texts(key).format_map(_Strict(ctx))
            return text

        ctx |= {"t": t, "locale": locale, "audience": spec.audience.value}
        subject = t(f"{template}.subject")
        ctx["subject"] = subject
        env = _environment()
        text = env.get_template(f"{template}.txt.j2").render(ctx)
        html = env.get_template(f"{template}.html.j2").render(ctx)
        sms = t(f"{template}.sms") if spec.audience is Audience.CUSTOMER else ""
        return Rendered(locale=locale, subject=subject, text=text, html=html, sms=sms)

    def _texts(self, locale: str) -> Callable[[str], str]:
        own = catalog(locale)
        fallback = catalog(DEFAULT_LOCALE)

        def lookup(key: str) -> str:
            if key in own:
                return own[key]
            if self.strict or key not in fallback:
                raise MissingText(f"{locale}: no text for {key}")
            return fallback[key]

        return lookup
