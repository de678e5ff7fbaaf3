"""Object names and label values that Kubernetes accepts (DNS-1123 labels, label values)."""

from __future__ import annotations

import hashlib
import re

from brigtui.engine.errors import JobSpecError

MAX_NAME = 63
"""Longest DNS-1123 label; pod names stay within it so they also work as host names."""
MAX_LABEL_VALUE = 63
PREFIX = "brigtui"

_INVALID_NAME_RUN = re.compile(r"[^a-z0-9]+")
_INVALID_VALUE_RUN = re.compile(r"[^A-Za-z0-9._-]+")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def dns_label(text: str, subject: str) -> str:
    """Turn `text` into a DNS-1123 label, shortened with a hash suffix when it is too long.

    Raise JobSpecError naming `subject` when nothing valid is left (a name of only symbols).
    """
    label = _INVALID_NAME_RUN.sub("-", text.lower()).strip("-")
    if not label:
        raise JobSpecError(
            f"{subject} {text!r} cannot become a Kubernetes name: it needs at least one letter "
            "or digit; rename it using lowercase letters, digits and '-'"
        )
    return shorten(label, text)


def shorten(label: str, original: str, limit: int = MAX_NAME) -> str:
    """Cut `label` to `limit` characters, keeping it unique with a hash of `original`."""
    if len(label) <= limit:
        return label
    digest = hashlib.sha256(original.encode()).hexdigest()[:6]
    return f"{label[: limit - len(digest) - 1].rstrip('-')}-{digest}"


def is_dns_label(name: str) -> bool:
    return len(name) <= MAX_NAME and bool(_DNS_LABEL.match(name))


def object_name(build_id: str, *parts: str) -> str:
    """Return the name of one of a build's objects: `brigtui-BUILD[-PART...]`."""
    raw = "-".join((PREFIX, build_id, *parts))
    return shorten(dns_label(raw, "object name"), raw)


def label_value(text: str) -> str:
    """Turn `text` into a valid label value (63 characters of [A-Za-z0-9._-], alphanumeric ends)."""
    value = _INVALID_VALUE_RUN.sub("-", text)
    value = value.strip("-._")
    if len(value) > MAX_LABEL_VALUE:
        value = shorten(value, text, MAX_LABEL_VALUE).strip("-._")
    return value
