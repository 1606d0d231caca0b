"""The Textual app and :func:`run_tui`, the entry point front ends call.

The first paint happens before anything heavy: the model loads in a thread worker
afterwards (status bar: "loading model…" then "ready"), and the user can type meanwhile.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding

from assistant.errors import FiresideError
from assistant.model_queue import ModelQueue
from tui.api_server import ApiServerChanged, ApiServerToggle
from tui.chat_screen import ChatScreen
from tui.indexing import IndexFailed, IndexOpened, IndexProgressed, ProjectIndexer
from tui.messages import ModelLoadFailed, ModelPicked, ModelResolved, ModelWarmedUp
from tui.status_bar import FAILED, LOADING, READY
from tui.theme import DEFAULT_THEME, load_theme

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.orchestrator import Orchestrator

# Seconds to wait, on exit, for a stopped answer to be saved.
EXIT_WAIT_S = 10.0


# Seconds after mounting before the project index starts (background work can wait).
INDEX_START_DELAY_S = 0.8


class FiresideApp(App[None]):
    """Chat with the local model; every conversation is kept in the local store."""

    TITLE = "Fireside"
    SUB_TITLE = "local coding assistant"
    CSS_PATH = [
        "styles/app.tcss", "styles/dialogs.tcss", "styles/context.tcss", "styles/tools.tcss"
    ]
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(
        self,
        orchestrator: Orchestrator,
        *,
        session_id: str | None = None,
        warm_up: bool = True,
        index: bool = False,
        project_root: Path | None = None,
        embed: bool = True,
    ) -> None:
        """``index``: index the project (``project_root``, default the current git root) in
        the background and give answers its code as context; ``embed`` adds vectors."""
        super().__init__()
        self.orchestrator = orchestrator
        self._session_id = session_id
        self._warm_up = warm_up
        self._index = index
        self._project_root = project_root
        self._embed = embed
        self.indexer: ProjectIndexer | None = None
        # Held while a model loads or is swapped, so a switch never closes a loading model.
        self._model_lock = threading.Lock()
        # One line for the model: this app's turns and, after /serve, the editors' requests.
        self.model_queue = ModelQueue(orchestrator.settings.server.queue_size)
        self.api_server = ApiServerToggle(self)
        self.chat = ChatScreen(orchestrator, session_id=session_id)
        self._use_theme(orchestrator.settings.theme)

    def get_default_screen(self) -> ChatScreen:
        return self.chat

    def _use_theme(self, name: str) -> None:
        """Use a Textual theme, or one packaged in data/themes (unknown: the default)."""
        self._theme_problem: str | None = None
        if name in self.available_themes:
            self.theme = name
            return
        theme = load_theme(name)
        if theme is None:
            self._theme_problem = f"There is no theme {name!r}; using {DEFAULT_THEME!r}."
            theme = load_theme(DEFAULT_THEME)
        if theme is not None:
            self.register_theme(theme)
            self.theme = theme.name

    def on_mount(self) -> None:
        if self._theme_problem:
            self.notify(self._theme_problem, severity="warning", markup=False)
        if self._warm_up:
            self.chat.set_model_state("loading model…", LOADING)
            self.call_after_refresh(self._load_model)
        else:
            self.chat.set_model_name(self.orchestrator.model_name, hosted=self._hosted())
        if self._index:
            # A moment after the first frame: the indexing thread's imports and status
            # updates would otherwise compete with the first layout for the GIL.
            self.set_timer(INDEX_START_DELAY_S, self._start_indexing)

    def on_unmount(self) -> None:
        if self.indexer is not None:
            self.indexer.cancel.set()  # the thread winds down; close_index waits for it

    # -- the project index ----------------------------------------------------------------

    def _start_indexing(self) -> None:
        """Index the project in a background thread (after the first paint)."""
        self.indexer = ProjectIndexer(
            self._project_root,
            self.orchestrator.settings,
            self.post_message,
            embed=self._embed,
        )
        self.indexer.start()

    def on_index_progressed(self, message: IndexProgressed) -> None:
        self.chat.status_bar.index = message.text
        self.chat.status_bar.index_busy = message.busy

    def on_index_opened(self, message: IndexOpened) -> None:
        """Answers get code from the index from now on: lexical search until the embedder
        is loaded (an answer never waits seconds for it), hybrid after."""
        from assistant.retrieval import Retriever

        mode = "hybrid" if message.hybrid else "lexical"
        retriever = self.orchestrator.retriever
        if retriever is None or retriever.index is not message.project:
            self.orchestrator.retriever = Retriever(
                message.project, self.orchestrator.settings.index, mode=mode
            )
        elif message.hybrid:
            retriever.mode = mode

    def on_index_failed(self, message: IndexFailed) -> None:
        if message.fatal:
            self.chat.status_bar.index = "index: failed"
            self.chat.status_bar.index_busy = False
        self.notify(
            message.error,
            title="Project index",
            severity="error" if message.fatal else "warning",
            timeout=8,
            markup=False,
        )

    def close_index(self, timeout: float = 2.0) -> None:
        """Stop indexing and watching (waits at most ``timeout`` for the thread)."""
        indexer, self.indexer = self.indexer, None
        if indexer is not None:
            self.orchestrator.retriever = None
            indexer.stop(timeout)

    # -- the model ------------------------------------------------------------------------

    def _hosted(self) -> bool:
        return self.orchestrator.model_provider != "local"

    @work(thread=True, exclusive=True, group="model")
    def _load_model(self) -> None:
        """Load the model and pre-evaluate the system prompt, off the UI thread."""
        self._warm()

    def _warm(self) -> None:
        with self._model_lock:
            name = self.orchestrator.model_name
            self.post_message(ModelResolved(name, hosted=self._hosted()))
            try:
                self.orchestrator.warm_up()
            except FiresideError as exc:
                self.post_message(ModelLoadFailed(str(exc)))
                return
            self.post_message(
                ModelWarmedUp(self.orchestrator.model_name, hosted=self._hosted())
            )

    def on_model_resolved(self, message: ModelResolved) -> None:
        self.chat.set_model_name(message.name, hosted=message.hosted)

    def on_model_warmed_up(self, message: ModelWarmedUp) -> None:
        self.chat.set_model_name(message.name, hosted=message.hosted)
        self.chat.set_model_state("ready", READY)
        from tui.model_tip import sync_tip

        sync_tip(self.chat, not message.hosted and not self.orchestrator.settings.model)

    def on_model_picked(self, message: ModelPicked) -> None:
        """Use the picked model from the next turn on, as ``chat --model`` would."""
        from assistant.hosted import with_hosted_model

        if self.chat.running_turns:  # never close a provider that is still generating
            self.notify("An answer is still running; pick the model again when it ends.",
                        severity="warning")
            return
        base = self.chat.base_settings
        if message.choice.startswith("gguf:"):  # a GGUF found on this machine
            settings = base.model_copy(update={
                "model": message.choice[5:],
                "policy": "local" if base.policy == "hosted" else base.policy})
        elif message.choice == "local":
            # The configured policy, unless it sends everything to a hosted model.
            settings = base.model_copy(update={"policy": "local"}) if (
                base.policy == "hosted"
            ) else base
        else:
            picked = with_hosted_model(base, message.choice)
            if picked is None:
                self.notify(
                    f"{message.choice} names no configured provider.",
                    severity="error",
                    markup=False,
                )
                return
            settings = picked
        self.chat.set_model_state("switching model…", LOADING)
        self._switch_model(settings)

    @work(thread=True, group="model")
    def _switch_model(self, settings: Settings) -> None:
        with self._model_lock, self.model_queue.admit(bounded=False) as turn:
            turn.wait()  # never close the model under an editor's running request
            self.orchestrator.use_settings(settings)
        self._warm()

    def on_api_server_changed(self, message: ApiServerChanged) -> None:
        self.chat.status_bar.api = f"API {message.url}" if message.url else ""
        if message.error:
            self.notify(message.error, title="The API did not start", severity="error",
                        timeout=10, markup=False)
        elif message.url:
            self.notify(f"Editors can connect to {message.url} (token: `fireside token`); "
                        "/serve again stops it.", markup=False)
        else:
            self.notify("The API stopped.", markup=False)

    def on_model_load_failed(self, message: ModelLoadFailed) -> None:
        self.chat.set_model_state("model failed to load", FAILED)
        self.notify(
            message.error,
            title="The model did not load",
            severity="error",
            timeout=15,
            markup=False,
        )

    def wait_for_answers(self, timeout: float = EXIT_WAIT_S) -> None:
        """Stop any running answer and wait (up to ``timeout``) until it is saved."""
        for turn in self.chat.running_turns:
            turn.cancel.set()
            turn.finished.wait(timeout)


def run_tui(settings: Settings, session_id: str | None = None) -> None:
    """Run the chat TUI until the user quits (opens the saved chats, builds the orchestrator).

    ``session_id`` (or a unique prefix) opens that chat. Raises FiresideError before the
    screen is taken over: StoreError when the database cannot be opened,
    SessionNotFoundError for an unknown session.
    """
    from assistant.orchestrator import Orchestrator
    from assistant.sessions import open_sessions

    sessions = open_sessions()
    try:
        if session_id is not None:
            session_id = sessions.resolve(session_id)
        from assistant.agent import default_project_root

        orchestrator = Orchestrator(settings, sessions.store, project_root=default_project_root())
        app = FiresideApp(orchestrator, session_id=session_id, index=settings.index.enabled)
        try:
            app.run()
            app.wait_for_answers()
        finally:
            app.api_server.stop()
            app.close_index()
            orchestrator.close()
    finally:
        sessions.close()
