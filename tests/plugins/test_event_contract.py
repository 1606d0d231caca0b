"""The VS Code extension's copy of the event contract (``plugins/vscode/src/client/events.ts``)
names the same fields, of the same kinds, as the dataclasses in ``assistant/events.py``.

A text-level check (no node needed): the TypeScript interfaces are parsed for their members,
nested objects (``usage``, ``timings``, ``sources``) included, and compared with the
dataclass fields of every event in :data:`assistant.events.Event`."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path
from typing import Any

import pytest

from assistant import events

ROOT = Path(__file__).resolve().parents[2]
EVENTS_TS = ROOT / "plugins" / "vscode" / "src" / "client" / "events.ts"
README = ROOT / "plugins" / "README.md"


@dataclasses.dataclass(frozen=True)
class Field:
    """One member: its kinds (``number``, ``string``, ``boolean``, ``null``, ``object``,
    ``array``), whether it may be missing, and the members of a nested object or array."""

    kinds: frozenset[str]
    optional: bool
    nested: dict[str, Field] | None = None


Shape = dict[str, Field]

# -- TypeScript -----------------------------------------------------------------------------


def _split_top(text: str, seps: str) -> list[str]:
    """``text`` split on any of ``seps`` outside brackets and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "{[(<":
            depth += 1
        elif ch in "}])>":
            depth -= 1
        elif ch in seps and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _ts_interfaces(source: str) -> dict[str, str]:
    """Interface name → the text between its braces."""
    out = {}
    for match in re.finditer(r"export interface (\w+)\s*\{", source):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[i], 0)
            i += 1
        out[match.group(1)] = source[match.end(): i - 1]
    return out


def _ts_type(text: str, interfaces: dict[str, str]) -> tuple[frozenset[str], Shape | None]:
    kinds, nested = set(), None
    for part in _split_top(text, "|"):
        if part.startswith(("'", '"')) or part == "string":
            kinds.add("string")
        elif part in ("number", "boolean", "null"):
            kinds.add(part)
        elif part.startswith("{"):
            kinds.add("object")
            nested = _ts_members(part[1:-1], interfaces)
        elif part.endswith("[]"):
            kinds.add("array")
            item = part[:-2]
            nested = _ts_members(interfaces[item], interfaces) if item in interfaces else None
        elif part.startswith("Record<") or part in interfaces:
            kinds.add("object")
            nested = _ts_members(interfaces[part], interfaces) if part in interfaces else None
        else:
            kinds.add(f"?{part}")
    return frozenset(kinds), nested


def _ts_members(body: str, interfaces: dict[str, str]) -> Shape:
    shape: Shape = {}
    for member in _split_top(body, ";\n"):
        name, _, type_text = member.partition(":")
        optional = name.strip().endswith("?")
        kinds, nested = _ts_type(type_text.strip(), interfaces)
        shape[name.strip().rstrip("?")] = Field(kinds, optional, nested)
    return shape


def ts_contract(source: str) -> dict[str, Shape]:
    """Event type tag → its members (without ``type``), from the text of events.ts."""
    interfaces = _ts_interfaces(source)
    out = {}
    for body in interfaces.values():
        members = _ts_members(body, interfaces)
        tag = re.fullmatch(r"type\s*:\s*\"(\w+)\"", _split_top(body, ";\n")[0])
        if "type" in members and tag:
            out[tag.group(1)] = {k: v for k, v in members.items() if k != "type"}
    return out


# -- Python ---------------------------------------------------------------------------------

_SCALARS = {int: "number", float: "number", str: "string", bool: "boolean",
            type(None): "null"}


def _py_type(hint: Any) -> tuple[frozenset[str], Shape | None]:
    kinds, nested = set(), None
    for arg in typing.get_args(hint) if isinstance(hint, type(int | None)) else (hint,):
        origin = typing.get_origin(arg)
        if arg in _SCALARS:
            kinds.add(_SCALARS[arg])
        elif origin is typing.Literal:
            kinds.add("string")
        elif origin is dict:
            kinds.add("object")
        elif origin is tuple:
            kinds.add("array")
            nested = py_shape(typing.get_args(arg)[0])
        elif dataclasses.is_dataclass(arg):
            kinds.add("object")
            nested = py_shape(arg)
        else:
            kinds.add(f"?{arg!r}")
    return frozenset(kinds), nested


def py_shape(cls: type) -> Shape:
    hints = typing.get_type_hints(cls)
    shape: Shape = {}
    for f in dataclasses.fields(cls):
        if f.name == "type":
            continue
        has_default = (f.default is not dataclasses.MISSING
                       or f.default_factory is not dataclasses.MISSING)
        kinds, nested = _py_type(hints[f.name])
        shape[f.name] = Field(kinds, has_default, nested)
    return shape


def py_contract() -> dict[str, Shape]:
    """Event type tag → its fields, for every event in :data:`assistant.events.Event`."""
    out = {}
    for cls in typing.get_args(events.Event):
        tag = next(f.default for f in dataclasses.fields(cls) if f.name == "type")
        out[tag] = py_shape(cls)
    return out


# -- the comparison -------------------------------------------------------------------------


def _compare(where: str, py: Shape, ts: Shape) -> list[str]:
    problems = [f"{where}.{name}: missing in events.ts" for name in py if name not in ts]
    problems += [f"{where}.{name}: in events.ts, not in assistant/events.py"
                 for name in ts if name not in py]
    for name in py.keys() & ts.keys():
        want, got = py[name], ts[name]
        if want.kinds != got.kinds:
            problems.append(f"{where}.{name}: {sorted(got.kinds)} in events.ts, "
                            f"{sorted(want.kinds)} in Python")
        if got.optional and not want.optional:
            problems.append(f"{where}.{name}: optional in events.ts but always set")
        if want.nested is not None and got.nested is None and "object" not in got.kinds:
            problems.append(f"{where}.{name}: its fields are not spelled out in events.ts")
        if want.nested is not None and got.nested is not None:
            problems += _compare(f"{where}.{name}", want.nested, got.nested)
    return sorted(problems)


def contract_drift(py: dict[str, Shape], ts: dict[str, Shape]) -> list[str]:
    """One line per difference between the two contracts (empty: they agree)."""
    problems = [f"{tag}: event missing in events.ts" for tag in py if tag not in ts]
    problems += [f"{tag}: event in events.ts, not in assistant/events.py"
                 for tag in ts if tag not in py]
    for tag in sorted(py.keys() & ts.keys()):
        problems += _compare(tag, py[tag], ts[tag])
    return problems


# -- tests ----------------------------------------------------------------------------------


def test_events_ts_names_every_field_of_every_event() -> None:
    py, ts = py_contract(), ts_contract(EVENTS_TS.read_text())
    assert set(py) == {"status", "token", "context", "tool_call", "tool_result",
                       "message_done", "error", "done"}
    assert contract_drift(py, ts) == []


def test_the_parsers_see_nested_fields() -> None:
    ts = ts_contract(EVENTS_TS.read_text())
    assert ts["message_done"]["cost_usd"] == Field(frozenset({"number", "null"}), True)
    assert set(ts["message_done"]["timings"].nested or {}) == {"ttft_ms", "tokens_per_s",
                                                                "total_ms"}
    assert set(ts["context"]["sources"].nested or {}) == {"path", "start_line", "end_line",
                                                          "score", "symbol"}
    py = py_contract()
    assert set(py["message_done"]["usage"].nested or {}) == {"prompt_tokens",
                                                             "completion_tokens"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  cost_usd?: number | null;\n", "", "message_done.cost_usd: missing in events.ts"),
        ("truncated?: boolean;", "truncated?: boolean; stale?: string;",
         "tool_result.stale: in events.ts, not in assistant/events.py"),
        ("total_ms: number }", "total: number }",
         "message_done.timings.total_ms: missing in events.ts"),
        ("score?: number;", "score?: string;",
         "context.sources.score: ['string'] in events.ts, ['number'] in Python"),
        ("  session_id: string;\n  model: string;", "  session_id?: string;\n  model: string;",
         "message_done.session_id: optional in events.ts but always set"),
        ('export interface DoneEvent { type: "done"; session_id: string }', "",
         "done: event missing in events.ts"),
    ],
    ids=["missing", "extra", "nested", "kind", "optional", "event"],
)
def test_a_planted_difference_is_reported(old: str, new: str, expected: str) -> None:
    source = EVENTS_TS.read_text()
    assert old in source
    drift = contract_drift(py_contract(), ts_contract(source.replace(old, new, 1)))
    assert expected in drift


def test_the_protocol_doc_lists_every_field() -> None:
    """plugins/README.md's table of events names each top-level field."""
    rows = {m.group(1): m.group(2) for m in
            re.finditer(r"^\| `(\w+)` \| (.*) \|$", README.read_text(), re.MULTILINE)}
    for tag, fields in py_contract().items():
        assert tag in rows, tag
        for name in fields:
            assert f"`{name}`" in rows[tag] or f"`{name} " in rows[tag], (tag, name)
