from __future__ import annotations

import pytest

from indexer.secret_files import is_secret_path


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "app/.env.production",
        "deploy/prod.env",
        "certs/server.pem",
        "tls/private.KEY",
        "home/.ssh/id_rsa",
        "id_rsa.pub",
        "keys/id_ed25519",
        ".aws/credentials",
        "user/.netrc",
        "android/release.keystore",
        "backup\\.git-credentials",
    ],
)
def test_secret_files_are_recognised(path: str) -> None:
    assert is_secret_path(path)


@pytest.mark.parametrize(
    "path",
    ["tokens.py", "src/keys.md", "env.py", "environment/config.py", "aws/credentials.py", ""],
)
def test_ordinary_files_are_not_secret(path: str) -> None:
    assert not is_secret_path(path)
