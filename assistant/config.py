"""Settings: defaults < ``config.toml`` < ``FIRESIDE_*`` environment variables < CLI flags.

``load_settings(**overrides)`` is the one entry point; CLI flags arrive as ``overrides``.
A config file that cannot be read or parsed raises :class:`~assistant.errors.ConfigError`
with one line naming the file and the problem.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.config_file import read_config_file, warn_unknown_keys
from assistant.config_mcp import McpSettings
from assistant.errors import ConfigError
from assistant.paths import get_paths

_PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class HostedProviderConfig(BaseModel):
    """One hosted model endpoint: a ``[providers.NAME]`` table in ``config.toml``.

    ``kind`` picks the API: ``openai`` (any OpenAI-compatible endpoint: OpenAI, OpenRouter,
    Groq, a local llama.cpp/Ollama/vLLM server), ``anthropic`` or ``gemini``.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["openai", "anthropic", "gemini"]
    model: str = Field(min_length=1, description="Model name the endpoint knows.")
    base_url: str | None = Field(
        default=None, description="API base URL; empty: the vendor's public endpoint."
    )
    key: str | None = Field(
        default=None,
        description="Name of the API key (`fireside keys set NAME`); empty: the provider's "
        'name; "" for endpoints that need no key (a local server).',
    )
    models: list[str] = Field(default_factory=list, description="Other models to offer.")
    context_size: int = Field(default=32768, ge=256, description="Context window in tokens.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait for data.")
    deadline: float = Field(
        default=90.0, gt=0, description="Seconds a request may take including its retries."
    )
    max_retries: int = Field(default=3, ge=0, le=10, description="Retries on 429/5xx.")
    stream: bool = Field(default=True, description="Stream the answer (SSE).")


class IndexSettings(BaseModel):
    """``[index]``: the codebase indexer."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Index the current project in the TUI.")
    max_file_bytes: int = Field(
        default=1_000_000, ge=1, description="Files larger than this are skipped."
    )
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2-int8",
        description="The packaged MiniLM-L6-v2 as int8 ONNX (default: loads offline in under "
        "a second), \"all-MiniLM-L6-v2\" for the same model on PyTorch, or a "
        "sentence-transformers model name or folder.",
    )
    embed_batch_size: int = Field(default=64, ge=1, le=4096)
    context_tokens: int = Field(
        default=1024, ge=0, description="Token budget for code chunks put into a chat prompt "
        "(0: no retrieval)."
    )
    context_chunks: int = Field(default=6, ge=0, le=50, description="Most chunks per prompt.")
    debounce_ms: int = Field(default=300, ge=0, description="Watcher debounce.")


class VectorStoreSettings(BaseModel):
    """``[vector_store]``: where vectors live."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        default=None,
        description="A Chroma server (http://host:port); empty: an embedded Chroma folder "
        "in the data dir.",
    )


ToolPermission = Literal["allow", "ask", "deny"]


class ToolSettings(BaseModel):
    """``[tools]``: the agent loop and its tools."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Offer tools to the model in chat.")
    offer: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="auto: offer tools to a local model only when it can call them "
        "(its template renders tools, or a capable family); hosted models always get them.",
    )
    permissions: dict[str, ToolPermission] = Field(
        default_factory=dict,
        description="Per-tool deny/ask/allow (tool name -> permission); tools that write or "
        "execute always ask whatever this says.",
    )
    max_steps: int = Field(default=6, ge=1, le=50, description="Tool calls per turn.")
    max_tool_seconds: float = Field(
        default=60.0, gt=0, description="Total seconds tools may run in one turn."
    )
    result_tokens: int = Field(
        default=1024, ge=64, description="A tool result is cut to this many tokens."
    )
    search_cache_seconds: int = Field(default=3600, ge=0)
    fetch_cache_seconds: int = Field(default=3600, ge=0)
    searxng_url: str | None = Field(default=None, description="A SearXNG instance (backup).")
    fetch_max_bytes: int = Field(default=2_000_000, ge=1024)
    fetch_timeout: float = Field(default=15.0, gt=0, description="Overall fetch deadline.")
    allow_private_hosts: list[str] = Field(
        default_factory=list, description="Host names fetch_url may reach on private addresses."
    )
    read_max_lines: int = Field(default=400, ge=1)


class ServerSettings(BaseModel):
    """``[server]``: the localhost API (``fireside serve``)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1")
    port: int = Field(default=8765, ge=1, le=65535)
    allowed_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API (browsers)."
    )
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    queue_size: int = Field(default=8, ge=1, description="Requests waiting for the model.")
    openapi: bool = Field(default=False, description="Serve /openapi.json and /docs.")
    allow_web_tools: bool = Field(
        default=False,
        description="Let the model's web_search/fetch_url calls run in /api/v1 turns (nobody "
        "can approve them there; off: they are refused).",
    )


class StateSettings(BaseModel):
    """``[state]``: per-session model state saved on disk (long chats resume at once)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Save and reuse local models' state.")
    max_bytes: int = Field(
        default=2_000_000_000, ge=0, description="Cap on the state folder; least recently "
        "used files are deleted first."
    )


class Settings(BaseSettings):
    """Fireside's settings. Each field can be set in ``config.toml`` or as ``FIRESIDE_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="FIRESIDE_",
        extra="ignore",
        env_ignore_empty=True,
        env_nested_delimiter="__",
    )

    model: str | None = Field(
        default=None,
        description="A GGUF file's path, or a name from `fireside models list`. Empty: the "
        "embedded SmolLM2-135M-Instruct model.",
    )
    models_dirs: list[str] = Field(
        default_factory=list,
        description="More folders with GGUF files for `fireside models list` (used in place).",
    )
    context_size: int = Field(
        default=4096, ge=256, description="Context window in tokens (capped at the model's)."
    )
    max_tokens: int = Field(default=1024, ge=1, description="Most tokens in one answer.")
    temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    top_p: float = Field(default=0.9, gt=0.0, le=1.0)
    repeat_penalty: float = Field(
        default=1.1, ge=1.0, le=2.0, description="Penalty for repeating tokens (small models loop)."
    )
    seed: int | None = Field(default=None, description="Sampling seed; empty: random.")
    threads: int | None = Field(
        default=None, ge=1, le=1024,
        description="CPU threads for llama.cpp; empty: all cores (capped at the machine's).",
    )
    system_prompt: str | None = Field(
        default=None, description="System prompt; empty: the packaged default."
    )
    theme: str = Field(default="fireside", description="TUI theme name.")
    policy: Literal["local", "fallback", "hosted"] = Field(
        default="local",
        description="local: never leave the machine; fallback: local first, a hosted "
        "provider when the local model fails or the prompt does not fit; hosted.",
    )
    providers: dict[str, HostedProviderConfig] = Field(
        default_factory=dict, description="Hosted model endpoints ([providers.NAME] tables)."
    )
    hosted_model: str | None = Field(
        default=None,
        description="Hosted model for fallback/hosted turns: NAME or NAME/MODEL; empty: the "
        "first configured provider.",
    )

    index: IndexSettings = Field(default_factory=IndexSettings)
    vector_store: VectorStoreSettings = Field(default_factory=VectorStoreSettings)
    tools: ToolSettings = Field(default_factory=ToolSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    mcp: McpSettings = Field(default_factory=McpSettings)
    state: StateSettings = Field(default_factory=StateSettings)

    @field_validator("providers")
    @classmethod
    def _provider_names(
        cls, value: dict[str, HostedProviderConfig]
    ) -> dict[str, HostedProviderConfig]:
        for name in value:
            if not _PROVIDER_NAME.match(name) or name == "local":
                raise ValueError(
                    f"provider name {name!r} must be lower-case letters, digits, '-' or '_' "
                    "(and not 'local')"
                )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFile(settings_cls))


class _TomlFile(PydanticBaseSettingsSource):
    """Reads ``config.toml`` from the config folder; a broken file is a ConfigError."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.path = get_paths().config_file
        self._data = read_config_file(self.path)
        warn_unknown_keys(self.path, self._data, list(settings_cls.model_fields))

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


def load_settings(**overrides: Any) -> Settings:
    """Settings from every source; ``overrides`` (CLI flags) win. ``None`` values are ignored."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        hint = _nearest_field(first["loc"]) if first["type"] == "extra_forbidden" else ""
        raise ConfigError(f"invalid setting {where!r}: {first['msg']}{hint}") from None


def _nearest_field(loc: tuple[Any, ...]) -> str:
    """``; did you mean 'x'?`` for an unknown key inside a table (``[index] max_file_byte``)."""
    import difflib

    model: Any = Settings
    for part in loc[:-1]:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None or not isinstance(field.annotation, type):
            return ""
        model = field.annotation
    names = list(getattr(model, "model_fields", {}))
    near = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""
