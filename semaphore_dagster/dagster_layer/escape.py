"""Escaping of API text (branch, job, project names; commit messages; log lines) for where it lands in the
Dagster UI.

- `plain_text`: table cells and text metadata, which the UI renders as text (never HTML, never Markdown):
  one line, control characters dropped, at most `limit` characters.
- `md_text`: inside Markdown metadata (headlines, tables). On top of `plain_text`, HTML's `<`, `>`, `&` become
  entities (Markdown passes raw HTML through), every Markdown character that could build a link, an image,
  emphasis, a table cell or a heading is backslash-escaped, and a URL scheme (`javascript:`, `data:`,
  `https:` ...) is broken with a zero-width space so it can never become a link or a remote image.
"""

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_SCHEME = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]{1,20}):", re.ASCII)
ZERO_WIDTH_SPACE = "\u200b"


def plain_text(value: object, limit: int = 300) -> str:
    text = "" if value is None else str(value)
    text = _CONTROL.sub("", text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))
    return text[: limit - 1] + "…" if len(text) > limit else text


def md_text(value: object, limit: int = 300) -> str:
    text = plain_text(value, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN.sub(r"\\\1", text)
    return _SCHEME.sub(lambda m: f"{m.group(1)}{ZERO_WIDTH_SPACE}:", text)
