"""Files that hold secrets: never indexed, never read by a tool, never put into a prompt.

Matched on the file's name (and, for ``.aws/credentials``, its parent folder); a file whose
name merely mentions a secret (``tokens.py``, ``keys.md``) is ordinary code.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import PurePath, PurePosixPath

# Lower-cased glob patterns for a file's name.
SECRET_NAME_PATTERNS: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.env",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    "*.keystore",
    "*.jks",
    "*.p12",
    "*.pfx",
    "*.kdbx",
)

# (parent folder, name) pairs.
SECRET_IN_FOLDER: tuple[tuple[str, str], ...] = (
    (".aws", "credentials"),
    (".aws", "config"),
    (".docker", "config.json"),
    (".kube", "config"),
    (".ssh", "*"),
    (".gnupg", "*"),
)


def is_secret_path(path: str | PurePath) -> bool:
    """True when ``path`` (relative or absolute, either slash) names a secret file."""
    parts = PurePosixPath(str(path).replace("\\", "/")).parts
    if not parts:
        return False
    name = parts[-1].lower()
    if any(fnmatchcase(name, pattern) for pattern in SECRET_NAME_PATTERNS):
        return True
    parent = parts[-2].lower() if len(parts) > 1 else ""
    return any(
        parent == folder and fnmatchcase(name, pattern) for folder, pattern in SECRET_IN_FOLDER
    )
