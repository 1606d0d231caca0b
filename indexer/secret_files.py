"""Files that hold secrets: never indexed, never read by a tool, never put into a prompt.

The one place for the rule. Everything that reads a file of the user's project (the indexer,
``read_file``, pins, the API) asks :func:`secret_reason` / :func:`is_secret_file`, which look
at the name the caller was given *and* at the file it resolves to (symlinks followed, at any
level), so ``notes.txt -> .env`` or ``meta/ -> .git/`` is refused like the target itself.

Matching is on names only (and for some, the folder they sit in); a file whose name merely
mentions a secret (``tokens.py``, ``keys.md``) is ordinary code. The list follows what secret
scanners (gitleaks, trufflehog, shhgit, GitHub's sensitive-file rules) treat as secret files;
``docs/secret-files.md`` shows it to users and must match it.
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from pathlib import PurePath, PurePosixPath

# Lower-cased glob patterns for a file's name, anywhere in the tree.
SECRET_NAME_PATTERNS: tuple[str, ...] = (
    # environment files and direnv
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    # private keys, certificates with keys, keystores
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.pkcs12",
    "*.ppk",
    "*.keystore",
    "*.jks",
    "*.kdb",
    "*.kdbx",
    "*.keychain",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    # login and token files of tools
    ".netrc",
    "_netrc",
    ".pgpass",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".dockercfg",
    ".htpasswd",
    ".s3cfg",
    ".boto",
    ".terraformrc",
    "terraform.rc",
    "kubeconfig",
    # cloud credentials
    "credentials.json",
    "service-account*.json",
    "service_account*.json",
    "client_secret*.json",
    "application_default_credentials.json",
    # terraform state and variables
    "*.tfstate",
    "*.tfstate.backup",
    "*.tfvars",
    "*.tfvars.json",
    # shell and database client histories
    ".bash_history",
    ".zsh_history",
    ".sh_history",
    ".psql_history",
    ".mysql_history",
)

# (parent folder, name pattern): a name that is secret only in that folder.
SECRET_IN_FOLDER: tuple[tuple[str, str], ...] = (
    (".aws", "credentials"),
    (".aws", "config"),
    (".docker", "config.json"),
    (".kube", "config"),
    ("gcloud", "credentials.db"),
    ("gcloud", "access_tokens.db"),
)

# Folders whose whole content is secret, at any depth (``sub/.git/config`` too).
SECRET_FOLDERS: tuple[str, ...] = (".git", ".ssh", ".gnupg", ".azure")

SECRET_REASON = "it holds secrets (keys, credentials or .env)"
GIT_REASON = "files under .git are not read"


def _parts(path: str | PurePath) -> tuple[str, ...]:
    return PurePosixPath(str(path).replace("\\", "/")).parts


def _name_reason(parts: tuple[str, ...]) -> str | None:
    if not parts:
        return None
    lowered = [part.lower() for part in parts]
    folders = lowered[:-1]
    if ".git" in folders or lowered[-1] == ".git":
        return GIT_REASON
    if any(folder in SECRET_FOLDERS for folder in folders):
        return SECRET_REASON
    name = lowered[-1]
    if any(fnmatchcase(name, pattern) for pattern in SECRET_NAME_PATTERNS):
        return SECRET_REASON
    parent = folders[-1] if folders else ""
    if any(parent == folder and fnmatchcase(name, pat) for folder, pat in SECRET_IN_FOLDER):
        return SECRET_REASON
    return None


def is_secret_path(path: str | PurePath) -> bool:
    """True when the name ``path`` (relative or absolute, either slash) is a secret file's.
    Looks at the name only; code that opens files calls :func:`is_secret_file`."""
    return _name_reason(_parts(path)) is not None


def secret_reason(path: str | PurePath, root: str | PurePath | None = None) -> str | None:
    """Why ``path`` must not be read (a short phrase), or None when it may be.

    ``path`` is relative to ``root`` (or absolute). Both the given name and the resolved
    target (``os.path.realpath``: every symlink on the way followed) are checked; the target
    by its place inside the resolved root when it is inside, else by its absolute name.
    """
    base = None if root is None else os.path.abspath(root)
    base_real = None if root is None else os.path.realpath(root)
    given = str(path)
    if base is not None and os.path.isabs(given):
        given = _below(given, base) or _below(given, base_real) or given  # type: ignore[arg-type]
    reason = _name_reason(_parts(given))
    if reason is not None:
        return reason
    full = given if base is None or os.path.isabs(given) else os.path.join(base, given)
    real = os.path.realpath(full)
    if base_real is not None:
        if real == base_real:
            return None
        inside = _below(real, base_real)
        if inside is not None:
            return _name_reason(_parts(inside))
    return _name_reason(_parts(real))


def _below(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` when it is strictly inside it, else None."""
    prefix = root.rstrip(os.sep) + os.sep
    return path[len(prefix):] if path.startswith(prefix) else None


def is_secret_file(path: str | PurePath, root: str | PurePath | None = None) -> bool:
    """True when ``path`` (relative to ``root``) is, or resolves to, a secret file."""
    return secret_reason(path, root) is not None


def is_secret_fd(fd: int, root: str | PurePath | None = None) -> bool:
    """True when the open descriptor ``fd`` is a secret file (by the path the kernel holds
    for it: a file swapped for a symlink after it was checked is caught here). False where
    the platform cannot say (no ``/proc``)."""
    try:
        real = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return False
    return is_secret_file(real, root)
