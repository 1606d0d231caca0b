"""Fireside's one exception hierarchy.

Every error a user can cause or fix derives from :class:`FiresideError` and carries a
one-line message that says what went wrong and what to do. Front ends print ``str(err)``
(never a traceback) for these; anything else is a bug.
"""

from __future__ import annotations


class FiresideError(Exception):
    """Base class: a foreseeable problem with a message a user can act on."""

    exit_code = 1


class ConfigError(FiresideError):
    """The configuration file or a setting is invalid."""


class ModelError(FiresideError):
    """The model is missing, is not a GGUF, fails to load, or the build cannot run it."""


class ModelNotFoundError(ModelError):
    """The configured model path does not exist."""


class ModelPullError(ModelError):
    """``fireside models pull`` failed: not found, refused, no space, network, checksum."""


class ChecksumMismatchError(ModelPullError):
    """A download's sha256 differs from the expected one; the file is kept aside."""


class ContextOverflowError(FiresideError):
    """The prompt does not fit in the model's context window even after trimming history."""


class ProviderError(FiresideError):
    """A provider failed while generating."""


class StoreError(FiresideError):
    """The session database cannot be opened or written."""


class ImportFormatError(StoreError):
    """A file given to ``sessions import`` is unknown, corrupt or of the wrong format."""


class SessionNotFoundError(StoreError):
    """No session has the given id (or id prefix)."""

    exit_code = 2


class SessionBusyError(StoreError):
    """Another turn (this process or another) is answering in the session right now."""


class SecretsError(FiresideError):
    """An API key cannot be read, stored or deleted. Messages never contain a key's value."""


class MissingKeyError(SecretsError):
    """A hosted provider needs a key that is neither in the keyring nor in the environment."""


class KeyringUnavailableError(SecretsError):
    """The OS has no usable keyring backend (common on headless Linux)."""


class HostedError(ProviderError):
    """A hosted model API failed; the message names the provider and what to do."""


class HostedAuthError(HostedError):
    """The API rejected the key (401/403). Never retried."""


class HostedRateLimitError(HostedError):
    """Rate limited (429) longer than the retry deadline allows."""


class HostedUnavailableError(HostedError):
    """The endpoint cannot be reached, timed out, or kept failing with 5xx."""


class HostedDeclinedError(ProviderError):
    """The user declined sending a fallback turn to a hosted model."""


class UnknownModelError(HostedError):
    """The endpoint does not know the configured model name."""


class IndexerError(FiresideError):
    """The codebase index cannot be built, opened or searched."""


class IndexLockedError(IndexerError):
    """Another process owns this project's index (its lock file is held)."""


class ToolError(FiresideError):
    """A tool failed; the message is shown to the user and, in the agent loop, to the model."""


class ToolDeniedError(ToolError):
    """Policy (or the user) refused a tool call."""


class UnsafeURLError(ToolError):
    """fetch_url refused a URL: a scheme, host or address outside the SSRF rules."""


class ServerError(FiresideError):
    """The local API server cannot start (port in use, unsafe bind address, ...)."""
