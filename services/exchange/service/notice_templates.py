"""The messages' templates, as data (config/notifications/, NOTIFICATION_TEMPLATES_DIR): one
per kind of notice and channel, in Vietnamese, rendered with Jinja2.

- `sms/<kind>.j2`: the text (UCS-2 with its diacritics; `SMS_WITHOUT_DIACRITICS` strips them
  to send GSM-7, 160 characters a segment instead of 70: README, "SMS lengths");
- `email/<kind>.subject.j2` and `email/<kind>.html.j2` (HTML-escaped: a reason typed by a
  clerk cannot inject markup);
- `zalo.toml`: the ZNS template id of each kind and its parameters, named from the facts.
"""

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.exchange.domain.notices import KINDS
from services.exchange.domain.sms_length import without_diacritics
from shared.domain.business_calendar import VIETNAM

TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "config" / "notifications"


def vn_time(value: str | datetime) -> str:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


class NoticeTemplates:
    def __init__(self, folder: Path = TEMPLATES_DIR, *, sms_without_diacritics: bool = False):
        self.environment = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,  # a template naming a fact a notice lacks fails loudly
            keep_trailing_newline=False,
        )
        self.environment.filters |= {"vn_time": vn_time, "vnd": vnd}
        self.sms_without_diacritics = sms_without_diacritics
        self.zalo_templates: dict[str, Any] = tomllib.loads((folder / "zalo.toml").read_text())
        missing = [kind for kind in KINDS if kind not in self.zalo_templates]
        for kind in KINDS:  # every kind has every channel's template, or the service won't start
            self.environment.get_template(f"sms/{kind}.j2")
            self.environment.get_template(f"email/{kind}.subject.j2")
            self.environment.get_template(f"email/{kind}.html.j2")
        if missing:
            raise ValueError(f"zalo.toml has no template for {', '.join(missing)}")

    def _render(self, name: str, context: dict[str, Any]) -> str:
        return self.environment.get_template(name).render(context).strip()

    def sms(self, kind: str, context: dict[str, Any]) -> str:
        text = self._render(f"sms/{kind}.j2", context)
        return without_diacritics(text) if self.sms_without_diacritics else text

    def email(self, kind: str, context: dict[str, Any]) -> tuple[str, str]:
        subject = self._render(f"email/{kind}.subject.j2", context)
        return subject, self._render(f"email/{kind}.html.j2", context)

    def zalo(self, kind: str, context: dict[str, Any]) -> tuple[str, dict[str, str]]:
        entry = self.zalo_templates[kind]
        params = {name: _shown(context.get(fact)) for name, fact in entry["params"].items()}
        return str(entry["template_id"]), params


def _shown(value: Any) -> str:
    if isinstance(value, str) and len(value) > 18 and value[10:11] == "T":
        try:
            return vn_time(value)
        except ValueError:
            return value
    return "" if value is None else str(value)
