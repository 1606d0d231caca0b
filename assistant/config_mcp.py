"""``[mcp]`` settings: MCP servers whose tools the model may call (``[mcp.servers.NAME]``).

A server is either a local command spoken to over stdio (``command``, ``args``, ``env``,
``cwd``) or a streamable-HTTP endpoint (``url``, ``headers``). Values in ``env`` and
``headers`` may be ``keyring:KEY`` to take a secret from the OS keyring (or from
``FIRESIDE_<KEY>_API_KEY``) when the server starts, so it never sits in the file.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SERVER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
KEYRING_PREFIX = "keyring:"


class McpServerConfig(BaseModel):
    """One ``[mcp.servers.NAME]`` table."""

    model_config = ConfigDict(extra="forbid")

    command: str | None = Field(default=None, description="Program to start (stdio server).")
    args: list[str] = Field(default_factory=list, description="Its arguments.")
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Environment for the server (besides a minimal PATH and HOME); a value "
        "`keyring:KEY` is read from the keyring when the server starts.",
    )
    cwd: str | None = Field(default=None, description="Folder the server starts in.")
    url: str | None = Field(default=None, description="Streamable-HTTP endpoint.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="HTTP headers (values may be `keyring:KEY`)."
    )
    enabled: bool = Field(default=True, description="Start this server and offer its tools.")
    timeout: float = Field(
        default=30.0, gt=0, le=3600, description="Seconds a tool call (or the start) may take."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> McpServerConfig:
        if bool(self.command) == bool(self.url):
            raise ValueError("give either `command` (a local server) or `url` (HTTP), not both")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https:// (got {self.url!r})")
        return self

    @property
    def kind(self) -> str:
        return "http" if self.url else "stdio"


class McpSettings(BaseModel):
    """``[mcp]``: Model Context Protocol servers."""

    model_config = ConfigDict(extra="forbid")

    servers: dict[str, McpServerConfig] = Field(
        default_factory=dict, description="MCP servers ([mcp.servers.NAME] tables)."
    )
    start_timeout: float = Field(
        default=20.0, gt=0, description="Seconds to wait for the servers to start."
    )

    @field_validator("servers")
    @classmethod
    def _names(cls, value: dict[str, McpServerConfig]) -> dict[str, McpServerConfig]:
        for name in value:
            if not SERVER_NAME.match(name):
                raise ValueError(
                    f"MCP server name {name!r} must start with a letter and use only letters, "
                    "digits, '-' or '_' (at most 32)"
                )
        return value
