"""Small but realistic chat exports, shaped like the real ones (ChatGPT's mapping tree with
hidden system nodes, regenerated branches, images, code output and thoughts; Claude's
chat_messages with content blocks and attachments). Used by the importer tests and by
bench/import_bench.py (which generates thousands of them)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

T0 = 1_714_550_400.0  # 2024-05-01T08:00:00Z


class ChatGPTTree:
    """Builds one conversation's ``mapping``; ``say`` adds a node under ``parent``."""

    def __init__(self, conversation_id: str, start: float = T0) -> None:
        self.id = conversation_id
        self.time = start
        self.mapping: dict[str, dict[str, Any]] = {}
        self._n = 0
        self.root = self._node(None, None)

    def _node(self, parent: str | None, message: dict[str, Any] | None) -> str:
        self._n += 1
        node_id = f"{self.id}-n{self._n:03d}"
        self.mapping[node_id] = {"id": node_id, "message": message, "parent": parent,
                                 "children": []}
        if parent is not None:
            self.mapping[parent]["children"].append(node_id)
        return node_id

    def say(self, parent: str, role: str, content: dict[str, Any], *, model: str | None = None,
            recipient: str = "all", name: str | None = None, **metadata: Any) -> str:
        self.time += 7.5
        if model:
            metadata["model_slug"] = model
        message = {
            "id": f"{self.id}-m{self._n + 1:03d}",
            "author": {"role": role, "name": name, "metadata": {}},
            "create_time": self.time, "update_time": None,
            "content": content, "status": "finished_successfully", "end_turn": True,
            "weight": 1.0, "metadata": metadata, "recipient": recipient, "channel": None,
        }
        return self._node(parent, message)


def text(*parts: Any) -> dict[str, Any]:
    return {"content_type": "text", "parts": list(parts)}


def chatgpt_conversation(
    conversation_id: str, title: str, exchanges: list[tuple[str, str]], *,
    start: float = T0, model: str = "gpt-4o", extras: bool = True,
) -> dict[str, Any]:
    """A conversation: a hidden system node, then ``exchanges`` (question, answer). With
    ``extras``: the first answer was regenerated (the active branch is the second try), and
    the chat has an image upload, code run in python with its output, an o3 answer with
    thoughts, and an empty node."""
    tree = ChatGPTTree(conversation_id, start)
    tip = tree.say(tree.root, "system", text(""), is_visually_hidden_from_conversation=True)
    for i, (question, answer) in enumerate(exchanges):
        tip = tree.say(tip, "user", text(question))
        if extras and i == 0:
            tree.say(tip, "assistant", text("An earlier draft nobody kept."), model=model)
        tip = tree.say(tip, "assistant", text(answer), model=model)
    if extras:
        tip = tree.say(tip, "user", {"content_type": "multimodal_text", "parts": [
            {"content_type": "image_asset_pointer", "asset_pointer": "sediment://file_0001",
             "size_bytes": 48029, "width": 1024, "height": 768, "fovea": None, "metadata": {}},
            "What does this chart show?"]}, attachments=[{"id": "file_0001", "name": "q3.png"}])
        tip = tree.say(tip, "assistant", {"content_type": "code", "language": "unknown",
                                          "text": "import pandas as pd\nprint(42)"},
                       model=model, recipient="python")
        tip = tree.say(tip, "tool", {"content_type": "execution_output", "text": "42"},
                       name="python")
        tip = tree.say(tip, "assistant", text("The chart shows revenue rising each quarter."),
                       model=model)
        tip = tree.say(tip, "user", text("Think harder about Q4."))
        tip = tree.say(tip, "assistant", {"content_type": "thoughts", "thoughts": [
            {"summary": "Checking Q4", "content": "Q4 is flat."}],
            "source_analysis_msg_id": "x"}, model="o3")
        tip = tree.say(tip, "assistant", {"content_type": "reasoning_recap",
                                          "content": "Thought for 9 seconds"}, model="o3")
        tip = tree.say(tip, "assistant", text("Q4 was flat after all."), model="o3")
        tree.say(tip, "assistant", text(""), model="o3")  # empty, and not on the active path
    return {
        "title": title, "create_time": start, "update_time": tree.time,
        "mapping": tree.mapping, "moderation_results": [], "current_node": tip,
        "plugin_ids": None, "conversation_id": conversation_id,
        "conversation_template_id": None, "gizmo_id": None, "gizmo_type": None,
        "is_archived": False, "is_starred": None, "safe_urls": [],
        "default_model_slug": model, "conversation_origin": None, "voice": None,
        "async_status": None, "disabled_tool_ids": [], "id": conversation_id,
    }


def claude_conversation(
    uuid: str, name: str, exchanges: list[tuple[str, str]], *, extras: bool = True
) -> dict[str, Any]:
    """A Claude export conversation; with ``extras`` an answer made only of content blocks
    (thinking, tool_use, tool_result, text) and a question with an attached file."""
    messages: list[dict[str, Any]] = []

    def add(sender: str, text_: str, content: list[dict[str, Any]] | None = None,
            attachments: list[dict[str, Any]] | None = None) -> None:
        minute = len(messages)
        stamp = f"2024-06-0{1 + minute // 60}T10:{minute % 60:02d}:00.000000Z"
        messages.append({
            "uuid": f"{uuid}-{minute}", "text": text_, "sender": sender,
            "content": content if content is not None else [
                {"start_timestamp": stamp, "stop_timestamp": stamp, "type": "text",
                 "text": text_, "citations": []}],
            "created_at": stamp, "updated_at": stamp,
            "attachments": attachments or [], "files": [],
        })

    for question, answer in exchanges:
        add("human", question)
        add("assistant", answer)
    if extras:
        add("human", "Summarise the attached notes.", attachments=[{
            "file_name": "notes.txt", "file_size": 61, "file_type": "txt",
            "extracted_content": "Meeting notes: ship the importer on Friday."}])
        add("assistant", "", content=[
            {"type": "thinking", "thinking": "The notes mention a Friday deadline.",
             "summaries": [{"summary": "Reading the notes"}]},
            {"type": "tool_use", "name": "web_search", "input": {"query": "importer"}},
            {"type": "tool_result", "name": "web_search", "is_error": False,
             "content": [{"type": "text", "text": "No results."}]},
            {"type": "text", "text": "The importer ships on Friday."},
        ])
    return {
        "uuid": uuid, "name": name, "created_at": messages[0]["created_at"],
        "updated_at": messages[-1]["updated_at"], "account": {"uuid": "acct-1"},
        "chat_messages": messages,
    }


def write_zip(path: Path, members: dict[str, Any]) -> Path:
    """A zip holding each member as JSON (plus the usual non-chat files of an export)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, json.dumps(data))
        archive.writestr("user.json", json.dumps({"id": "user-1", "email": "a@example.com"}))
        archive.writestr("chat.html", "<html></html>")
    return path
