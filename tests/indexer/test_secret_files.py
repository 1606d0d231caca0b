"""The one secret-file rule: an example per entry of the list, names that only look secret,
and the check on the resolved target (symlinks to secrets, linked folders, nested .git)."""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from indexer.secret_files import (
    GIT_REASON,
    SECRET_FOLDERS,
    SECRET_IN_FOLDER,
    SECRET_NAME_PATTERNS,
    is_secret_fd,
    is_secret_file,
    is_secret_path,
    secret_reason,
)

# One (or more) real-world name per entry of the list; the coverage test below makes sure
# every entry has one, so a new entry comes with its example.
EXAMPLES: tuple[str, ...] = (
    ".env",
    "app/.env.production",
    "deploy/prod.env",
    ".envrc",
    "certs/server.pem",
    "tls/private.KEY",
    "signing/release.p12",
    "iis/site.pfx",
    "legacy/cert.pkcs12",
    "putty/server.ppk",
    "android/release.keystore",
    "java/trust.jks",
    "old/passwords.kdb",
    "vault.kdbx",
    "login.keychain",
    "home/.ssh/id_rsa",
    "id_rsa.pub",
    "keys/id_dsa",
    "keys/id_ecdsa",
    "keys/id_ed25519",
    "user/.netrc",
    "_netrc",
    ".pgpass",
    "backup\\.git-credentials",
    ".npmrc",
    ".pypirc",
    ".dockercfg",
    "web/.htpasswd",
    ".s3cfg",
    ".boto",
    ".terraformrc",
    "terraform.rc",
    "ops/kubeconfig",
    "credentials.json",
    "service-account.json",
    "gcp/service-account-prod.json",
    "service_account.json",
    "client_secret_1234.apps.googleusercontent.com.json",
    "application_default_credentials.json",
    "infra/terraform.tfstate",
    "infra/terraform.tfstate.backup",
    "infra/prod.tfvars",
    "infra/prod.tfvars.json",
    ".bash_history",
    ".zsh_history",
    ".sh_history",
    ".psql_history",
    ".mysql_history",
    ".aws/credentials",
    ".aws/config",
    ".docker/config.json",
    ".kube/config",
    "gcloud/credentials.db",
    ".config/gcloud/access_tokens.db",
    ".git/config",
    "sub/.git/config",
    "vendor/lib/.git/hooks/pre-commit",
    ".ssh/known_hosts",
    ".gnupg/private-keys-v1.d/ABC.key",
    ".gnupg/pubring.kbx",
    ".azure/msal_token_cache.json",
)


@pytest.mark.parametrize("path", EXAMPLES)
def test_secret_files_are_recognised(path: str) -> None:
    assert is_secret_path(path)
    assert is_secret_file(path)


def test_every_entry_of_the_list_has_an_example() -> None:
    names = [e.replace("\\", "/").rsplit("/", 1)[-1].lower() for e in EXAMPLES]
    for pattern in SECRET_NAME_PATTERNS:
        assert any(fnmatchcase(n, pattern) for n in names), pattern
    pairs = [tuple(e.lower().rsplit("/", 2)[-2:]) for e in EXAMPLES if "/" in e]
    for folder, pattern in SECRET_IN_FOLDER:
        assert any(p == folder and fnmatchcase(n, pattern) for p, n in pairs), (folder, pattern)
    for folder in SECRET_FOLDERS:
        assert any(f"{folder}/" in e for e in EXAMPLES), folder


@pytest.mark.parametrize(
    "path",
    [
        "tokens.py", "src/keys.md", "env.py", "environment/config.py", "aws/credentials.py",
        "", ".gitignore", ".github/workflows/ci.yml", "git/config.py", "docs/credentials.md",
        "config.json", "kube/config.py", "service.json", "terraform/main.tf", "envrc.py",
        ".gitattributes", "src/history.py",
    ],
)
def test_ordinary_files_are_not_secret(path: str) -> None:
    assert not is_secret_path(path)


def test_git_folder_has_its_own_reason() -> None:
    assert secret_reason("a/b/.git/config") == GIT_REASON


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("[remote]\nurl = https://token@host/x\n")
    (root / ".env").write_text("API_KEY=sk-XYZ\n")
    (root / "main.py").write_text("x = 1\n")
    return root


def test_a_symlink_to_a_secret_is_secret(project: Path) -> None:
    (project / "notes.txt").symlink_to(".env")
    (project / "x.txt").symlink_to(".git/config")
    (project / "alias.py").symlink_to("main.py")
    assert is_secret_file("notes.txt", project)
    assert is_secret_file("x.txt", project)
    assert not is_secret_file("alias.py", project)
    assert not is_secret_file("main.py", project)
    assert not is_secret_path("notes.txt")  # the name alone says nothing: the target does


def test_a_linked_folder_into_git_or_a_chain_of_links(project: Path) -> None:
    (project / "meta").symlink_to(".git")
    (project / "a.txt").symlink_to("b.txt")
    (project / "b.txt").symlink_to(".env")
    assert secret_reason("meta/config", project) == GIT_REASON
    assert is_secret_file("a.txt", project)


def test_absolute_paths_and_a_root_given_through_a_link(project: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(project)
    (project / "notes.txt").symlink_to(".env")
    assert is_secret_file(link / "notes.txt", link)
    assert is_secret_file(str(project / "notes.txt"), project)
    assert not is_secret_file(link / "main.py", link)


def test_a_link_to_a_secret_outside_the_project(project: Path, tmp_path: Path) -> None:
    (tmp_path / "home" / ".aws").mkdir(parents=True)
    (tmp_path / "home" / ".aws" / "credentials").write_text("[default]\n")
    (project / "creds.ini").symlink_to(tmp_path / "home" / ".aws" / "credentials")
    assert is_secret_file("creds.ini", project)


def test_an_open_descriptor_is_judged_by_what_it_opened(project: Path) -> None:
    fd = os.open(project / ".env", os.O_RDONLY)
    try:
        assert is_secret_fd(fd, project)
    finally:
        os.close(fd)
    fd = os.open(project / "main.py", os.O_RDONLY)
    try:
        assert not is_secret_fd(fd, project)
    finally:
        os.close(fd)
