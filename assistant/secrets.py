"""API keys for hosted providers: the OS keyring, or ``FIRESIDE_<NAME>_API_KEY``.

This is the only module that touches ``keyring`` or key environment variables. An environment
variable wins over the keyring. Where the OS has no usable keyring backend (headless Linux),
storing a key fails with :class:`~assistant.errors.KeyringUnavailableError` naming the
environment variable to use instead: a key is never written to a plaintext file.

A key's value never appears in a message, an exception, a log line or the database. Key
*names* are not secret: the names stored in the keyring are kept in an index entry of the
keyring itself (keyring cannot enumerate entries), so ``fireside keys list`` can show them.

Exports :func:`env_var`, :func:`get_key`, :func:`require_key`, :func:`set_key`,
:func:`delete_key`, :func:`list_keys`, :func:`keyring_status`, :func:`scrub` and
:class:`KeyInfo`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from assistant.errors import KeyringUnavailableError, MissingKeyError, SecretsError

SERVICE = "fireside"
_INDEX_USER = "__fireside_key_names__"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ENV_RE = re.compile(r"^FIRESIDE_(.+)_API_KEY$")


@dataclass(frozen=True)
class KeyInfo:
    """Where a key is stored: ``"env"``, ``"keyring"`` or ``"missing"`` (never its value)."""

    name: str
    source: str
    env_var: str


def check_name(name: str) -> str:
    """The normalised key name (lower case); raises SecretsError for an unusable name."""
    cleaned = name.strip()
    if not _NAME_RE.match(cleaned):
        raise SecretsError(
            f"invalid key name {name!r}: use letters, digits, '-', '_' or '.' (e.g. openai)"
        )
    return cleaned.lower()


def env_var(name: str) -> str:
    """The environment variable that holds key ``name``: ``FIRESIDE_<NAME>_API_KEY``."""
    return "FIRESIDE_" + re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_API_KEY"


def scrub(text: str, *values: str | None) -> str:
    """``text`` with every given secret value replaced by ``***`` (for error messages)."""
    for value in values:
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


# -- keyring access ---------------------------------------------------------------------


def _keyring() -> Any:
    """The keyring backend in use; KeyringUnavailableError when there is none usable."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        raise KeyringUnavailableError(
            "the keyring package is not installed; `pip install keyring` or use an "
            "environment variable"
        ) from None
    backend = keyring.get_keyring()
    # The fail backend raises on every call and the null one silently drops what is stored:
    # neither keeps a key, so both count as "no keyring".
    if isinstance(backend, fail.Keyring | null.Keyring):
        raise KeyringUnavailableError("no OS keyring backend is available")
    return backend


def keyring_status() -> tuple[bool, str]:
    """Whether a usable keyring exists, and a one-line description (backend or why not)."""
    try:
        backend = _keyring()
    except KeyringUnavailableError as exc:
        return False, str(exc)
    return True, f"{type(backend).__module__}.{type(backend).__name__}"


def _unavailable(name: str, reason: str) -> KeyringUnavailableError:
    return KeyringUnavailableError(
        f"cannot use the OS keyring ({reason}); set {env_var(name)} in the environment "
        "instead (Fireside never writes keys to a plaintext file)"
    )


def _keyring_errors() -> tuple[type[BaseException], ...]:
    from keyring.errors import KeyringError

    # Backends raise their own errors too (D-Bus, locked collections): catch broadly, but
    # report only the error's type: a message could quote what was being stored.
    return (KeyringError, OSError, RuntimeError, ValueError)


def _read_index(backend: Any) -> list[str]:
    try:
        raw = backend.get_password(SERVICE, _INDEX_USER)
    except _keyring_errors():
        return []
    if not raw:
        return []
    try:
        names = json.loads(raw)
    except ValueError:
        return []
    return sorted({n for n in names if isinstance(n, str)})


def _write_index(backend: Any, names: list[str]) -> None:
    backend.set_password(SERVICE, _INDEX_USER, json.dumps(sorted(set(names))))


# -- public API ---------------------------------------------------------------------------


def get_key(name: str) -> str | None:
    """The key's value from the environment (first) or the keyring; ``None`` when unset."""
    name = check_name(name)
    value = os.environ.get(env_var(name), "").strip()
    if value:
        return value
    try:
        backend = _keyring()
        stored = backend.get_password(SERVICE, name)
    except KeyringUnavailableError:
        return None
    except _keyring_errors():
        return None
    return stored or None


def require_key(name: str) -> str:
    """The key's value, or MissingKeyError saying how to set it."""
    value = get_key(name)
    if value:
        return value
    name = check_name(name)
    available, _ = keyring_status()
    if available:
        how = f"run `fireside keys set {name}` or set {env_var(name)}"
    else:
        how = f"set {env_var(name)} (this machine has no OS keyring)"
    raise MissingKeyError(f"no API key named {name!r}: {how}")


def set_key(name: str, value: str) -> None:
    """Store a key in the OS keyring; KeyringUnavailableError when there is no keyring."""
    name = check_name(name)
    value = value.strip()
    if not value:
        raise SecretsError("the key is empty; nothing was stored")
    if "\n" in value or "\r" in value:
        raise SecretsError("the key contains a line break; paste it as one line")
    try:
        backend = _keyring()
    except KeyringUnavailableError as exc:
        raise _unavailable(name, str(exc)) from None
    try:
        backend.set_password(SERVICE, name, value)
        _write_index(backend, [*_read_index(backend), name])
    except _keyring_errors() as exc:
        raise _unavailable(name, f"the keyring refused it: {type(exc).__name__}") from None


def delete_key(name: str) -> None:
    """Remove a key from the keyring; SecretsError when it is not stored there."""
    name = check_name(name)
    try:
        backend = _keyring()
    except KeyringUnavailableError as exc:
        raise _unavailable(name, str(exc)) from None
    from keyring.errors import PasswordDeleteError

    try:
        if backend.get_password(SERVICE, name) is None:
            raise PasswordDeleteError
        backend.delete_password(SERVICE, name)
    except PasswordDeleteError:
        hint = f"; it is set by {env_var(name)}" if os.environ.get(env_var(name)) else ""
        raise SecretsError(f"no key named {name!r} in the keyring{hint}") from None
    except _keyring_errors() as exc:
        raise _unavailable(name, f"the keyring refused it: {type(exc).__name__}") from None
    try:
        _write_index(backend, [n for n in _read_index(backend) if n != name])
    except _keyring_errors():
        pass  # the key is gone; a stale name in the index only shows as "missing"


def list_keys(names: list[str] | tuple[str, ...] = ()) -> list[KeyInfo]:
    """Every known key name (``names``, the keyring index, ``FIRESIDE_*_API_KEY`` variables)
    and where each one is set. Never reads a value out of the keyring for display."""
    known = {check_name(n) for n in names if n}
    for var in os.environ:
        match = _ENV_RE.match(var)
        if match and os.environ[var].strip() and _NAME_RE.match(match.group(1)):
            known.add(match.group(1).lower())
    backend: Any = None
    try:
        backend = _keyring()
        known.update(_read_index(backend))
    except KeyringUnavailableError:
        backend = None
    result: list[KeyInfo] = []
    for name in sorted(known):
        var = env_var(name)
        if os.environ.get(var, "").strip():
            source = "env"
        else:
            source = "missing"
            if backend is not None:
                try:
                    if backend.get_password(SERVICE, name):
                        source = "keyring"
                except _keyring_errors():
                    pass
        result.append(KeyInfo(name, source, var))
    return result
