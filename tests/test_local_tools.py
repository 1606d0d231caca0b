"""Tool calls for local models without the model: the reply grammar's schema, the streaming
JSON decoder, the chat written back for plain templates, and native ``<tool_call>`` templates
(rendered from a template string in the Hermes/Qwen style, parsed from split output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import ProviderError
from providers import _local_tools as lt
from providers.base import ChatMessage, ToolCall, ToolSpec
from providers.llama_cpp import LlamaCppProvider

SEARCH = ToolSpec(
    "code_search",
    "Search the project's code.",
    {"type": "object", "title": "Args",
     "properties": {"query": {"type": "string", "title": "Query"}, "k": {"type": "integer"}},
     "required": ["query"]},
)
READ = ToolSpec("read_file", "Read a file.", {"type": "object",
                                              "properties": {"path": {"type": "string"}},
                                              "required": ["path"]})


def feed_all(decoder: lt.JsonReplyDecoder, text: str, size: int = 1) -> str:
    return "".join(decoder.feed(text[i : i + size]) for i in range(0, len(text), size))


def test_reply_schema_offers_each_tool_and_an_answer() -> None:
    schema = lt.reply_schema((SEARCH, READ))
    options = schema["oneOf"]
    assert [o["properties"].get("tool", {}).get("const") for o in options] == [
        "code_search", "read_file", None]
    # "tool" comes before "arguments" (small models start a call with the tool's name).
    assert list(options[0]["properties"]) == ["tool", "arguments"]
    args = options[0]["properties"]["arguments"]
    assert args["additionalProperties"] is False and "title" not in args
    assert args["properties"]["query"] == {"type": "string"}
    assert options[-1]["required"] == ["answer"]


def test_the_grammar_builds_for_the_schema() -> None:
    grammar = lt.grammar_for((SEARCH, READ))
    assert grammar is lt.grammar_for((SEARCH, READ))  # cached


@pytest.mark.parametrize("size", [1, 3, 100])
def test_an_answer_streams_out_of_its_json_string(size: int) -> None:
    answer = 'Line one\n"quoted" \\ tab\there é \u00e9 😀 done'
    raw = json.dumps({"answer": answer})
    decoder = lt.JsonReplyDecoder()
    assert feed_all(decoder, raw, size) == answer
    assert decoder.finish() is None and decoder.kind == "answer"


def test_answer_text_arrives_before_the_json_is_complete() -> None:
    decoder = lt.JsonReplyDecoder()
    assert decoder.feed('{ "answer": "Hel') == "Hel"
    assert decoder.feed("lo") == "lo"
    assert decoder.feed('"}') == ""


def test_a_tool_reply_yields_no_text_and_one_call() -> None:
    decoder = lt.JsonReplyDecoder("call_3")
    raw = '{ "tool": "code_search", "arguments": { "query": "def main", "k": 3 } }'
    assert feed_all(decoder, raw, 4) == ""
    assert decoder.finish() == ToolCall("call_3", "code_search", {"query": "def main", "k": 3})


def test_a_cut_off_tool_reply_is_a_clear_error() -> None:
    decoder = lt.JsonReplyDecoder()
    decoder.feed('{"tool": "code_search", "arguments": {"query": "de')
    with pytest.raises(ProviderError, match="cut off"):
        decoder.finish()


def test_raw_newlines_inside_the_json_string_are_accepted() -> None:
    decoder = lt.JsonReplyDecoder()
    decoder.feed('{"tool": "read_file", "arguments": {"path": "a\nb"}}')
    assert decoder.finish() == ToolCall("call_0", "read_file", {"path": "a\nb"})


def test_text_that_is_not_json_is_left_as_text() -> None:
    decoder = lt.JsonReplyDecoder()
    assert decoder.feed("Hello there") == ""
    assert decoder.finish() is None and decoder.kind is None


def test_json_chat_describes_tools_and_writes_steps_as_plain_turns() -> None:
    call = ToolCall("call_0", "code_search", {"query": "main"})
    chat: list[ChatMessage] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "old question"},
        {"role": "assistant", "content": "old answer"},
        {"role": "user", "content": "where is main?"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": "app.py:1-3 def main()", "tool_call_id": "call_0",
         "name": "code_search"},
    ]
    out = lt.json_chat(chat, (SEARCH, READ))
    assert [m["role"] for m in out] == ["system", "user", "assistant", "user", "assistant",
                                        "user"]
    assert out[0]["content"].startswith("Be brief.\n\nTools:\n- code_search:")
    # Tool names and argument names, but no example values a small model could copy.
    assert "- read_file:" in out[0]["content"] and "Arguments: path" in out[0]["content"]
    assert "Example" not in out[0]["content"] and '"..."' not in out[0]["content"]
    assert json.loads(out[2]["content"]) == {"answer": "old answer"}
    assert json.loads(out[4]["content"]) == {"tool": "code_search",
                                             "arguments": {"query": "main"}}
    assert out[5]["content"].startswith("The tool code_search returned:\napp.py:1-3")
    plain = lt.json_chat(chat, ())
    assert plain[0]["content"] == "Be brief." and plain[2]["content"] == "old answer"
    # Without tools offered, the call is left out (nothing to imitate); its result follows
    # the question as the user's text.
    assert [m["role"] for m in plain] == ["system", "user", "assistant", "user"]
    assert "{" not in plain[3]["content"].split("returned:")[0]
    assert plain[3]["content"].startswith("where is main?\n\nThe tool code_search returned:")


# -- native templates ----------------------------------------------------------------------

# The shape of Qwen 2.5 / Hermes templates: tools in the system turn, calls in <tool_call>.
HERMES = (
    "{%- if tools %}<|im_start|>system\n{{ messages[0]['content'] }}\n# Tools\n<tools>"
    "{%- for tool in tools %}\n{{ tool | tojson }}{%- endfor %}\n</tools>\nFor each call "
    "return <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call><|im_end|>\n"
    "{%- set rest = messages[1:] %}{%- else %}{%- set rest = messages %}{%- endif %}"
    "{%- for m in rest %}"
    "{%- if m.role == 'assistant' and m.tool_calls %}<|im_start|>assistant\n{{ m.content }}"
    "{%- for c in m.tool_calls %}<tool_call>\n{\"name\": \"{{ c.function.name }}\", "
    "\"arguments\": {{ c.function.arguments | tojson }}}\n</tool_call>{%- endfor %}"
    "<|im_end|>\n"
    "{%- elif m.role == 'tool' %}<|im_start|>user\n<tool_response>\n{{ m.content }}\n"
    "</tool_response><|im_end|>\n"
    "{%- else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{%- endif %}"
    "{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}"
)


def test_templates_that_render_tools_are_native() -> None:
    assert lt.template_uses_tools(HERMES)
    assert not lt.template_uses_tools(
        "{% for m in messages %}{{ m.content }}{% endfor %}")


def native_provider(template: str) -> LlamaCppProvider:
    provider = LlamaCppProvider(Path("unused.gguf"), probe=False)
    provider._template = template
    provider.native_tools = lt.template_uses_tools(template)
    return provider


def test_a_native_template_renders_tools_calls_and_results() -> None:
    provider = native_provider(HERMES)
    call = ToolCall("call_0", "code_search", {"query": "main"})
    chat: list[ChatMessage] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "where is main?"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": "app.py:1", "tool_call_id": "call_0", "name": "code_search"},
    ]
    prompt = provider.format_prompt(chat, (SEARCH,))
    assert provider.tool_mode == "native"
    assert '"name": "code_search"' in prompt and "<tools>" in prompt
    assert '<tool_call>\n{"name": "code_search", "arguments": {"query": "main"}}' in prompt
    assert "<tool_response>\napp.py:1\n</tool_response>" in prompt
    assert prompt.endswith("<|im_start|>assistant")
    # Without tools offered the same template renders no tool section.
    assert "<tools>" not in provider.format_prompt(chat[:2])


def test_a_plain_template_gets_the_json_reply_format() -> None:
    provider = native_provider(
        "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}")
    assert provider.tool_mode == "grammar"
    prompt = provider.format_prompt(
        [{"role": "system", "content": "S"}, {"role": "user", "content": "q"}], (SEARCH,))
    assert prompt.startswith("[system] S\n\nTools:")


def test_native_calls_are_parsed_from_split_output() -> None:
    parser = lt.NativeCallParser()
    output = ('Let me look.<tool_call>\n{"name": "code_search", "arguments": {"query": "x"}}'
              '\n</tool_call><tool_call>{"name": "read_file", "arguments": "{\\"path\\": '
              '\\"a.py\\"}"}</tool_call>')
    shown = "".join(parser.feed(output[i : i + 2]) for i in range(0, len(output), 2))
    rest, calls = parser.finish()
    assert shown + rest == "Let me look."
    assert calls == [ToolCall("call_0", "code_search", {"query": "x"}),
                     ToolCall("call_1", "read_file", {"path": "a.py"})]


def test_text_that_only_looks_like_a_tag_start_is_shown() -> None:
    parser = lt.NativeCallParser()
    assert parser.feed("a <tool") == "a "
    assert parser.feed("s are fun") == "<tools are fun"
    assert parser.finish() == ("", [])


def test_an_unclosed_call_at_the_end_is_still_parsed() -> None:
    parser = lt.NativeCallParser()
    parser.feed('<tool_call>{"name": "read_file", "arguments": {"path": "a"}}')
    assert parser.finish()[1] == [ToolCall("call_0", "read_file", {"path": "a"})]


def test_a_malformed_native_call_is_a_clear_error() -> None:
    parser = lt.NativeCallParser()
    parser.feed("<tool_call>{not json}</tool_call>")
    with pytest.raises(ProviderError, match="not valid JSON"):
        parser.finish()


@pytest.mark.parametrize("text", ["hello", "Say hi.", "What is 2+2?", "Good morning!",
                                  "Tell me a short joke.", "What does HTTP stand for?"])
def test_greetings_and_general_questions_ask_for_no_tool(text: str) -> None:
    assert not lt.asks_for_tool([{"role": "user", "content": text}])


@pytest.mark.parametrize("text", ["Read the file README.md", "What is in notes.txt?",
                                  "Search the code for load_config", "Open utils/strings.py",
                                  "Fetch https://example.org", "Search the web for httpx"])
def test_requests_for_files_code_and_web_may_use_tools(text: str) -> None:
    assert lt.asks_for_tool([{"role": "user", "content": text}])


@pytest.mark.parametrize(("raw", "shown"), [
    ('{"answer": ".2 + 2 = 4"}', "2 + 2 = 4"),
    ('{"answer": "...I can help."}', "I can help."),
    ('{"answer": "… Hi"}', "Hi"),
    ('{"answer": ".NET is a platform"}', ".NET is a platform"),
    ('{"answer": "Hello."}', "Hello."),
])
def test_a_copied_placeholder_dot_is_not_shown(raw: str, shown: str) -> None:
    decoder = lt.JsonReplyDecoder()
    streamed = "".join(decoder.feed(ch) for ch in raw)
    assert decoder.finish() is None
    assert streamed == shown


def _spec(name: str) -> ToolSpec:
    return ToolSpec(name, f"{name}.", {"type": "object", "properties": {}})


ALL = tuple(_spec(n) for n in ("web_search", "fetch_url", "code_search", "read_file", "shout"))


@pytest.mark.parametrize(("text", "offered"), [
    ("hello", []),
    ("What is 2+2?", []),
    ("Fetch https://example.org/x", ["fetch_url", "shout"]),
    ("Search the web for httpx", ["web_search", "shout"]),
    ("What is in notes.txt?", ["read_file", "shout"]),
    ("Where is slugify defined in the code?", ["code_search", "shout"]),
    ("Search for the thing", ["web_search", "fetch_url", "code_search", "read_file", "shout"]),
])
def test_a_small_model_is_offered_the_tools_its_message_points_to(
    text: str, offered: list[str]
) -> None:
    got = lt.tools_for([{"role": "user", "content": text}], ALL)
    assert [t.name for t in got] == offered
