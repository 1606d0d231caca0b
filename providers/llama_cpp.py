"""llama-cpp-python, in process: one model loaded once and reused across turns.

The prompt is built from the GGUF's own chat template (rendered in a Jinja sandbox), then
tokenised and handed to ``Llama.create_completion``; llama-cpp-python keeps the KV cache of
the longest shared prefix, so the next turn only evaluates the new messages.

Tools (``options.tools``): natively when the template renders ``tools`` (calls parsed from
``<tool_call>`` blocks), otherwise by grammar-constrained JSON; see ``providers._local_tools``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from assistant.errors import ContextOverflowError, ModelError, ProviderError
from providers import _local_tools as local_tools
from providers import chat_template
from providers.base import (
    ChatMessage,
    Finish,
    GenerationOptions,
    Provider,
    ToolCall,
    ToolSpec,
)
from providers.llama_readers import reader_for
from providers.models import check_gguf, model_name

log = logging.getLogger(__name__)


def _import_llama_cpp() -> Any:
    # OpenMP threads that busy-wait fight the UI for 2 cores; passive waiting keeps prompt
    # processing steady. Must be set before the library loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    try:
        import llama_cpp
        import llama_cpp._logger as llama_logger
        import llama_cpp.llama as llama_module
    except ImportError as exc:
        raise ModelError(
            f"llama-cpp-python is not installed or does not load ({exc}); run `make install`"
        ) from None
    # llama-cpp-python silences C logging by dup2-ing fds 1 and 2 to /dev/null while loading,
    # which would blank a running TUI's output. Errors surface as exceptions instead.
    llama_module.suppress_stdout_stderr = lambda disable=True: nullcontext()
    llama_logger.logger.setLevel(logging.CRITICAL + 1)
    return llama_cpp


def thread_counts(configured: int | None) -> tuple[int, int]:
    """(decode threads, prompt-processing threads).

    Prompt processing is compute-bound and uses every core. Decoding one token at a time is
    mostly memory-bound: one core less costs little and leaves a core to the UI that renders
    the stream. A configured count is used for both.
    """
    if configured:
        return configured, configured
    cores = os.cpu_count() or 1
    return max(1, cores - 1), cores


class LlamaCppProvider(Provider):
    """A local GGUF model. Thread-safe: one generation at a time (llama.cpp is not reentrant)."""

    def __init__(
        self,
        model_path: Path,
        *,
        context_size: int = 4096,
        threads: int | None = None,
        probe: bool = True,
    ) -> None:
        self.model_path = model_path
        self.name = model_name(model_path)
        self._requested_ctx = context_size
        self._threads = threads
        self._probe = probe
        self._llm: Any = None
        self._llama_cpp: Any = None
        self._template: str = chat_template.CHATML
        self.native_tools = False  # the template renders tools itself
        self.template_note: str | None = None
        self._bos = ""
        self._eos = ""
        self._adds_bos = False
        self._last_prompt: str | None = None
        self._last_tokens: list[int] = []
        self._lock = threading.RLock()
        self._notes: list[str] = []
        self.generations = 0  # streams run so far (a saved state is stale once this moves)

    # -- loading --------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    @property
    def context_size(self) -> int:
        if self._llm is None:
            return self._requested_ctx
        return int(self._llm.n_ctx())

    def load(self) -> None:
        with self._lock:
            if self._llm is not None:
                return
            check_gguf(self.model_path)
            from providers.localmodels.memory import check_memory

            self._cap_to_machine()  # the trained context and the CPU threads, with a note
            # Refuse a model that cannot fit (with the numbers) before llama.cpp tries.
            self._requested_ctx = check_memory(self.model_path, self._requested_ctx)
            if self._probe:
                from providers.probe import run_probe

                result = run_probe(self.model_path)
                if not result.ok:
                    raise ModelError(f"cannot run {self.model_path.name}: {result.message}")
            llama_cpp = _import_llama_cpp()
            self._llama_cpp = llama_cpp
            threads, batch_threads = thread_counts(self._threads)
            try:
                llm = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=self._requested_ctx,
                    n_threads=threads,
                    n_threads_batch=batch_threads,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(
                    f"llama.cpp could not load {self.model_path.name}: {exc}"
                ) from None
            train_ctx = int(llm._model.n_ctx_train())
            if train_ctx and train_ctx < self._requested_ctx:
                llm.close()
                self._requested_ctx = train_ctx
                llm = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=train_ctx,
                    n_threads=threads,
                    n_threads_batch=batch_threads,
                    verbose=False,
                )
            self._configure_template(llm)
            self._llm = llm

    def _cap_to_machine(self) -> None:
        """Ask llama.cpp for no more than the model was trained for and the machine has (a
        context far past the trained one fails inside llama.cpp; 5,000 threads hang it),
        with a notice for each cap."""
        from providers.gguf_header import trained_context

        trained = trained_context(self.model_path)
        if trained and self._requested_ctx > trained:
            self._notes.append(
                f"context_size {self._requested_ctx} is more than {self.name} was trained "
                f"for; using {trained}")
            self._requested_ctx = trained
        cores = os.cpu_count() or 1
        if self._threads and self._threads > cores:
            self._notes.append(f"threads {self._threads} is more than this machine's {cores} "
                               f"CPU threads; using {cores}")
            self._threads = cores

    def take_notes(self) -> list[str]:
        """Notices for the user since the last call (caps applied while loading)."""
        notes, self._notes = self._notes, []
        return notes

    def _configure_template(self, llm: Any) -> None:
        meta = llm.metadata or {}
        vocab = llm._model  # token text lookup for BOS/EOS

        def token_text(key: str) -> str:
            try:
                tid = int(meta[key])
                return vocab.token_get_text(tid)
            except (KeyError, ValueError, AttributeError):
                return ""

        self._bos = token_text("tokenizer.ggml.bos_token_id")
        self._adds_bos = bool(llm.tokenize(b"", add_bos=True, special=True))
        self._eos = token_text("tokenizer.ggml.eos_token_id")
        template = meta.get("tokenizer.chat_template")
        if template:
            try:
                chat_template.render(template, [{"role": "user", "content": "hi"}])
                self._template = template
                self.native_tools = local_tools.template_uses_tools(template)
                return
            except Exception as exc:  # a broken template: fall back, and say so
                self.template_note = f"the model's chat template fails ({exc}); using ChatML"
        else:
            self.template_note = "the model has no chat template; using ChatML"
        self._template = chat_template.CHATML
        self.native_tools = False

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None
                self._last_prompt = None

    # -- prompts --------------------------------------------------------------------------

    @property
    def calls_tools_reliably(self) -> bool:
        """Whether ``[tools] offer = "auto"`` offers this model tools: its template renders
        them, or it is of a capable family (see :mod:`providers.tool_capability`)."""
        from providers.tool_capability import calls_tools_reliably

        general = str((getattr(self._llm, "metadata", None) or {}).get("general.name", ""))
        template = self._template if self._template != chat_template.CHATML else ""
        return calls_tools_reliably(template, self.name, general)

    @property
    def tool_mode(self) -> str:
        """How tools reach this model: ``"native"`` (its template) or ``"grammar"``."""
        return "native" if self.native_tools else "grammar"

    def format_prompt(
        self, messages: list[ChatMessage], tools: tuple[ToolSpec, ...] = ()
    ) -> str:
        """The prompt text; with ``tools``, in the form the tool mode needs."""
        specs: list[dict[str, Any]] | None = None
        chat: list[Any]
        if tools and self.native_tools:
            chat, specs = local_tools.native_messages(messages), local_tools.native_tools(tools)
        elif tools or any(m["role"] == "tool" or m.get("tool_calls") for m in messages):
            chat = local_tools.json_chat(messages, tools) if tools else _plain(messages)
        else:
            chat = list(messages)
        try:
            return chat_template.render(
                self._template,
                chat,
                bos_token=self._bos,
                eos_token=self._eos,
                tools=specs,
            )
        except Exception as exc:
            raise ProviderError(f"the chat template could not format this chat: {exc}") from None

    def _tokens(
        self, messages: list[ChatMessage], tools: tuple[ToolSpec, ...] = ()
    ) -> list[int]:
        # Counting, the saved-state key and generation all see the tools the prompt carries.
        prompt = self.format_prompt(messages, self._offered(messages, tools))
        # llama.cpp adds BOS itself when the vocabulary asks for it; avoid a second one.
        if self._adds_bos and self._bos and prompt.startswith(self._bos):
            prompt = prompt[len(self._bos) :]
        # A turn counts its final prompt (fitting it to the context) and then generates from
        # the same text: keep the last tokenisation instead of doing it twice.
        if prompt != self._last_prompt:
            self._last_tokens = list(
                self._llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
            )
            self._last_prompt = prompt
        return list(self._last_tokens)

    def count_tokens(
        self, messages: list[ChatMessage], tools: tuple[ToolSpec, ...] = ()
    ) -> int:
        self.load()
        with self._lock:
            return len(self._tokens(messages, tools))

    # -- per-session state on disk (assistant.session_state) ------------------------------

    @property
    def identity(self) -> str:
        """Which model file this is (path, size, mtime): a saved state never loads into
        another model or a changed file."""
        stat = self.model_path.stat()
        return f"{self.model_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"

    def prompt_tokens(
        self, messages: list[ChatMessage], tools: tuple[ToolSpec, ...] = ()
    ) -> list[int]:
        """The exact tokens :meth:`stream` evaluates for ``messages`` and ``tools``."""
        self.load()
        with self._lock:
            return self._tokens(messages, tools)

    def _offered(
        self, messages: list[ChatMessage], tools: tuple[ToolSpec, ...]
    ) -> tuple[ToolSpec, ...]:
        """The tools a prompt really carries: without native tool calls, a greeting or general
        question gets none, and others only those it points to."""
        if tools and not self.native_tools:
            return tuple(local_tools.tools_for(messages, tools))
        return tools

    def cached_prefix(self, tokens: list[int]) -> int:
        """How many leading ``tokens`` the live KV cache holds already."""
        from providers import llama_state

        with self._lock:
            if self._llm is None:
                return 0
            return llama_state.common_prefix(llama_state.held_tokens(self._llm), tokens)

    def snapshot_state(
        self, next_prompt: list[int], generation: int
    ) -> tuple[list[int], Any] | None:
        """The live state cut to what ``next_prompt`` shares with it: (tokens, data).

        None when the model ran another stream since ``generation`` (the cache holds
        another chat now) or nothing is shared."""
        from providers import llama_state

        with self._lock:
            llm = self._llm
            if llm is None or self.generations != generation:
                return None
            keep = llama_state.common_prefix(llama_state.held_tokens(llm), next_prompt)
            if keep <= 0:
                return None
            llama_state.truncate(llm, keep)
            return llama_state.held_tokens(llm), llama_state.snapshot(llm, self._llama_cpp)

    def restore_state(self, tokens: list[int], data: bytearray) -> None:
        """Load a saved state holding ``tokens`` (ProviderError when llama.cpp refuses it)."""
        from providers import llama_state

        self.load()
        with self._lock:
            llama_state.restore(self._llm, self._llama_cpp, tokens, data)

    # -- generation -----------------------------------------------------------------------

    def warm_up(
        self, messages: list[ChatMessage], tools: tuple[ToolSpec, ...] = ()
    ) -> None:
        """Evaluate ``messages`` (e.g. the system prompt, with the tools a turn offers) so the
        first answer starts sooner."""
        self.load()
        if tools and not self.native_tools:
            local_tools.grammar_for(tools)  # built once, now rather than in the first answer
        with self._lock:
            tokens = self._tokens(messages, tools)
            llm = self._llm
            # Leave the prefix in the KV cache; the next generate() reuses it.
            if len(tokens) < llm.n_ctx():
                self.generations += 1
                llm.reset()
                llm.eval(tokens)

    def decode_smoke_test(self) -> None:
        """Decode a few tokens (used by the subprocess probe)."""
        self.load()
        with self._lock:
            tokens = self._tokens([{"role": "user", "content": "Hi"}])
            for count, _ in enumerate(self._llm.generate(tokens, temp=0.0), start=1):
                if count >= 4:
                    break

    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: threading.Event,
    ) -> Iterator[str | ToolCall | Finish]:
        self.load()
        with self._lock:
            llm = self._llm
            tools = self._offered(messages, options.tools)  # what _tokens puts in the prompt
            tokens = self._tokens(messages, tools)
            self.generations += 1
            n_ctx = int(llm.n_ctx())
            room = n_ctx - len(tokens)
            if room <= 0:
                raise ContextOverflowError(
                    f"the prompt is {len(tokens)} tokens; the model's context is {n_ctx}"
                )
            generated = 0
            cancelled = False

            def stop_check(_ids: Any, _logits: Any) -> bool:
                nonlocal generated, cancelled
                generated += 1
                if cancel.is_set():
                    cancelled = True
                return cancelled

            kwargs: dict[str, Any] = {
                "prompt": tokens,
                "max_tokens": min(options.max_tokens, room),
                "temperature": options.temperature,
                "top_p": options.top_p,
                "repeat_penalty": options.repeat_penalty,
                "stream": True,
                "stopping_criteria": self._llama_cpp.StoppingCriteriaList([stop_check]),
            }
            if options.seed is not None:
                kwargs["seed"] = options.seed
            reader = reader_for(tools, self.native_tools)
            if tools and not self.native_tools:
                kwargs["grammar"] = local_tools.grammar_for(tools)
            finish = "stop"
            try:
                for chunk in llm.create_completion(**kwargs):
                    choice = chunk["choices"][0]
                    if choice["text"] and not cancelled:
                        shown = reader.feed(choice["text"])
                        if shown:
                            yield shown
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
                    if cancel.is_set():
                        cancelled = True
                        break
            except (RuntimeError, ValueError) as exc:
                raise ProviderError(f"llama.cpp failed while generating: {exc}") from None
            if not cancelled:
                rest, calls = reader.finish()
                if rest:
                    yield rest
                yield from calls
                if calls:
                    finish = "tool_calls"
            yield Finish(
                "cancelled" if cancelled else finish,
                prompt_tokens=len(tokens),
                completion_tokens=generated,
            )


def _plain(messages: list[ChatMessage]) -> list[ChatMessage]:
    """A chat with tool steps as plain user/assistant turns (when no tools are offered)."""
    return local_tools.json_chat(messages, ())
