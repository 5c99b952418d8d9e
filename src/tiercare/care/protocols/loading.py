"""Loading: the protocol files shipped beside this package, their identity (version and sha256), and the cache.

A protocol is read from its file every time (it is small) so that the content, the sha256 and the rules agree;
building it (:class:`~tiercare.care.protocols.schema.ProtocolValidator`) is cached by content and variants.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from tiercare.care.protocols.model import Protocol, ProtocolError, ProtocolVersion
from tiercare.care.protocols.schema import CODE_RE, ProtocolValidator

PROTOCOL_DIR: Final = Path(__file__).resolve().parent


def available_protocols() -> tuple[str, ...]:
    """The codes of the protocol files shipped beside this module."""
    return tuple(sorted(p.stem for p in PROTOCOL_DIR.glob("*.json")))


def _read(code: str) -> tuple[str, bytes]:
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise ProtocolError(f"{code!r}", "", "not a protocol code (lower-case letters, digits and _)")
    path = PROTOCOL_DIR / f"{code}.json"
    try:
        return path.name, path.read_bytes()
    except FileNotFoundError:
        available = ", ".join(available_protocols())
        raise ProtocolError(path.name, "", f"no such protocol; available: {available}") from None


def protocol_version(code: str) -> ProtocolVersion:
    """Return the protocol file's declared version and the sha256 of its bytes (variants not applied).

    Store it with every classification, and compare it with the stored one to notice a protocol change.
    """
    filename, raw = _read(code)
    doc = _parse_json(filename, raw)
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or not version:
        raise ProtocolError(filename, "version", "a non-empty string is required")
    return ProtocolVersion(code, version, hashlib.sha256(raw).hexdigest())


def load_protocol(code: str, *, variants: Iterable[str] = (), disabled: Iterable[str] = ()) -> Protocol:
    """Load and validate the protocol ``code``.

    ``variants`` names variants to enable besides those the file enables by default; ``disabled`` names default
    variants to turn off (a center's recorded clinical decision, e.g. 140/90 at every age). The file is read every
    time (it is small) so that the content, the sha256 and the rules agree; parsing is cached by content.

    Raises :class:`ProtocolError` (with the file and the key) for an unknown code, an unknown variant or any
    schema violation.
    """
    filename, raw = _read(code)
    return _build(filename, raw, frozenset(variants), frozenset(disabled))


def parse_protocol(doc: Mapping[str, Any], *, filename: str = "<dict>", variants: Iterable[str] = ()) -> Protocol:
    """Validate and build a protocol from an already-parsed JSON document (for tests and protocol tooling);
    its sha256 is that of the document's canonical JSON."""
    raw = json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()
    return _build(filename, raw, frozenset(variants))


@functools.lru_cache(maxsize=64)
def _build(filename: str, raw: bytes, variants: frozenset[str], disabled: frozenset[str] = frozenset()) -> Protocol:
    doc = _parse_json(filename, raw)
    return ProtocolValidator(filename).protocol(doc, hashlib.sha256(raw).hexdigest(), variants, disabled)


def _parse_json(filename: str, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(filename, "", f"not valid UTF-8 JSON: {exc}") from exc
