"""A long query as a few passages for the embedder.

MiniLM reads about 256 word pieces of its input, so a pasted bug report is embedded from its
opening lines only, and the whole report's vector is one blurred point. The query vector is
instead the mean of a few passages: the whole text (as far as the model reads it), the title
(a report's first line is its summary) and the opening blocks, where a report says what is
wrong before the reproduction code and the output that follow. On the dev set of real bug
reports the file-level hybrid found the right file in its top 5 for 18 of 22 reports with the
whole text alone, 19 with every block of the report averaged in, and 20 with the opening
blocks only (docs/retrieval.md). A short query is one passage, itself.
"""

from __future__ import annotations

import re

WHOLE_CHARS = 4000  # the whole query's passage (the model reads ~256 word pieces of it anyway)
OPENING_BLOCKS = 2  # blocks after the title that get their own passage
BLOCK_WORDS = 120  # consecutive short blocks are merged up to this many words

_BLOCKS = re.compile(r"\n\s*\n|(?=^```)", re.M)


def query_passages(query: str) -> list[str]:
    """The texts whose mean embedding stands for ``query``: [whole, title, opening blocks]
    for a report, [query] for a one-liner; no duplicates, none empty."""
    text = query.strip()
    if not text:
        return []
    passages = [text[:WHOLE_CHARS]]
    title = text.split("\n", 1)[0].strip()
    blocks: list[str] = []
    current = ""
    for block in _BLOCKS.split(text[: WHOLE_CHARS * 5]):
        block = block.strip()
        if not block:
            continue
        if current and len(f"{current} {block}".split()) > BLOCK_WORDS:
            blocks.append(current)
            current = block
        else:
            current = f"{current}\n{block}".strip()
        if len(blocks) >= OPENING_BLOCKS:
            break
    if current and len(blocks) < OPENING_BLOCKS:
        blocks.append(current)
    for passage in [title, *blocks]:
        passage = passage[:WHOLE_CHARS]
        if passage and passage not in passages:
            passages.append(passage)
    return passages
