"""fetch_url: a web page's main text as Markdown, through the SSRF guard (``netguard``).

Each hop (the URL and up to 5 redirects) is checked and resolved once, and the connection goes
to that checked address. Authorization and Cookie headers are dropped when a redirect changes
origin. Only HTML, plain text, JSON and XML are read; the body is capped at ``fetch_max_bytes``
counted after decompression (a gzip bomb stops there) and the whole fetch has one deadline
(``fetch_timeout``), not only socket timeouts. HTML becomes Markdown with
``trafilatura.extract`` (never ``trafilatura.fetch_url``), falling back to plain text. Results
are cached in the store for ``fetch_cache_seconds``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import zlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, Field

from assistant.errors import ToolError, UnsafeURLError
from assistant.tools import netguard
from assistant.tools.base import Risk, Tool, ToolContext, ToolOutput

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.store import Store

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
USER_AGENT = "Fireside/0.1 (+local assistant; fetch_url)"
_REDIRECTS = {301, 302, 303, 307, 308}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SENSITIVE_HEADERS = ("authorization", "cookie", "proxy-authorization")
_TEXT_TYPES = {"text/html", "application/xhtml+xml", "text/plain", "application/json",
               "text/json", "application/xml", "text/xml"}


@dataclass(frozen=True)
class FetchResult:
    url: str  # as asked
    final_url: str  # after redirects
    status: int
    content_type: str
    title: str | None
    text: str  # Markdown for HTML, pretty JSON, or the text as sent
    bytes_read: int
    truncated: bool  # the body was longer than fetch_max_bytes
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def for_model(self) -> str:
        """Title, source URL and text (the page's own "# title" line is not repeated)."""
        text = self.text.strip()
        head = f"# {self.title}\n" if self.title else ""
        if self.title and text.startswith(f"# {self.title}\n"):
            text = text.partition("\n")[2].lstrip()
        note = f"\n\n[… the page was cut at {self.bytes_read} bytes]" if self.truncated else ""
        return f"{head}Source: {self.final_url}\n\n{text}{note}"


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_text_type(mtype: str) -> bool:
    return mtype in _TEXT_TYPES or mtype.endswith(("+json", "+xml"))


def fetch(
    url: str,
    settings: Settings,
    store: Store | None = None,
    *,
    max_bytes: int | None = None,
    deadline: float | None = None,
    cancel: threading.Event | None = None,
    headers: dict[str, str] | None = None,
    use_cache: bool = True,
) -> FetchResult:
    """Fetch ``url`` under the SSRF rules; raises UnsafeURLError or ToolError (one line)."""
    cfg = settings.tools
    limit = max_bytes or cfg.fetch_max_bytes
    allow = cfg.allow_private_hosts
    netguard.check_url(url, allow)  # refuse bad URLs before the cache or the network
    key = f"fetch:{limit}:{url.strip()}"
    if store is not None and use_cache and not headers:
        hit = store.cache_get(key)
        if hit is not None:
            data = json.loads(hit)
            data["cached"] = True
            return FetchResult(**data)
    end = time.monotonic() + cfg.fetch_timeout
    if deadline is not None:
        end = min(end, deadline)
    budget = netguard.Budget(end, cancel)
    try:
        result = _fetch(url.strip(), allow, limit, budget, dict(headers or {}), cfg.fetch_timeout)
    except httpx.TimeoutException:
        if budget.cancel.is_set():
            raise ToolError("fetch cancelled") from None
        raise ToolError(
            f"fetching {url} took longer than {cfg.fetch_timeout:g} s and was stopped"
        ) from None
    except httpx.HTTPError as exc:
        if budget.cancel.is_set():
            raise ToolError("fetch cancelled") from None
        raise ToolError(f"cannot fetch {url}: {_describe(exc)}") from None
    if store is not None and use_cache and not headers:
        store.cache_put(key, "fetch", json.dumps(result.to_dict()), cfg.fetch_cache_seconds)
    return result


def _describe(exc: httpx.HTTPError) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({text})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the connection ({text})"
    return text


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _fetch(
    url: str,
    allow: list[str],
    limit: int,
    budget: netguard.Budget,
    headers: dict[str, str],
    timeout: float,
) -> FetchResult:
    backend = netguard.PinnedBackend(budget)
    base_headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml,text/plain,application/json,"
        "application/xml;q=0.9,*/*;q=0.1",
        "Accept-Encoding": "gzip, deflate",
    }
    current = netguard.check_url(url, allow)
    with netguard.pinned_client(backend, timeout, base_headers) as client:
        for hop in range(MAX_REDIRECTS + 1):
            if hop:
                current = netguard.check_url(str(current), allow)
            host = current.raw_host.decode("ascii")
            backend.pin(host, netguard.resolve_checked(current, allow, budget.remaining()))
            request = client.build_request("GET", current, headers=headers)
            response = client.send(request, stream=True)
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    try:
                        target = current.join(location.strip())
                    except (httpx.InvalidURL, ValueError):
                        raise UnsafeURLError(f"refused redirect to {location!r}") from None
                    if not _same_origin(current, target):
                        headers = {
                            k: v for k, v in headers.items()
                            if k.lower() not in _SENSITIVE_HEADERS
                        }
                        client.cookies.clear()
                    current = target
                    continue
                return _read(url, current, response, limit, budget)
            finally:
                response.close()
    raise ToolError(f"too many redirects fetching {url} (more than {MAX_REDIRECTS})")


def _read(
    asked: str,
    url: httpx.URL,
    response: httpx.Response,
    limit: int,
    budget: netguard.Budget,
) -> FetchResult:
    if response.status_code >= 400:
        reason = response.reason_phrase or ""
        raise ToolError(f"{url} answered HTTP {response.status_code} {reason}".rstrip())
    if response.status_code in _REDIRECTS:
        raise ToolError(f"{url} redirected without saying where to")
    content_type = response.headers.get("content-type", "")
    mtype = media_type(content_type)
    if not is_text_type(mtype):
        shown = mtype or "none"
        raise ToolError(
            f"{url} is {shown}; fetch_url reads only HTML, plain text, JSON and XML"
        )
    decoder = _Decoder(response.headers.get("content-encoding", ""))
    body = bytearray()
    truncated = False
    for chunk in response.iter_raw():
        room = limit - len(body)
        body += decoder.feed(chunk, room + 1)
        if len(body) > limit:
            del body[limit:]
            truncated = True
            break
        if budget.remaining() <= 0:
            raise httpx.ReadTimeout("deadline reached")
    else:
        body += decoder.flush(limit - len(body) + 1)
        if len(body) > limit:
            del body[limit:]
            truncated = True
    title, text = to_text(bytes(body), content_type, str(url))
    return FetchResult(
        url=asked,
        final_url=str(url),
        status=response.status_code,
        content_type=mtype,
        title=title,
        text=text,
        bytes_read=len(body),
        truncated=truncated,
    )


class _Decoder:
    """Content-Encoding decoding that never produces more than asked for, so a small
    compressed body cannot expand into gigabytes in memory."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        self._deflate_raw_tried = False
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise ToolError(f"the server sent an unsupported content encoding {encoding!r}")
        self._encoding = encoding

    def feed(self, chunk: bytes, max_out: int) -> bytes:
        if self._z is None:
            return chunk[:max_out]
        try:
            out = self._z.decompress(chunk, max_out)
        except zlib.error:
            if self._encoding == "deflate" and not self._deflate_raw_tried:
                self._deflate_raw_tried = True  # some servers send raw deflate
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(chunk, max_out)
            raise ToolError("the page's compressed body is damaged") from None
        # Whatever did not fit stays in unconsumed_tail; the caller stops at the cap anyway.
        return out

    def flush(self, max_out: int) -> bytes:
        if self._z is None:
            return b""
        out = self._z.decompress(self._z.unconsumed_tail, max_out) if max_out > 0 else b""
        return out


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _decode(body: bytes, content_type: str) -> str:
    charset = _charset(content_type)
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(body[:4096])  # <meta charset=...> in a page sent without one
    if declared:
        try:
            return body.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return body.decode("utf-8", errors="replace")


def to_text(body: bytes, content_type: str, url: str) -> tuple[str | None, str]:
    """(title, text) for the model: Markdown for HTML, pretty JSON, other text as is
    (control characters removed)."""
    mtype = media_type(content_type)
    text = _CONTROL.sub("", _decode(body, content_type))
    if mtype in ("text/html", "application/xhtml+xml"):
        return _html_to_markdown(text, url)
    if mtype.endswith("json"):
        try:
            return None, json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            return None, text
    return None, text.strip()


def _html_to_markdown(html: str, url: str) -> tuple[str | None, str]:
    if not html.strip():
        return None, ""
    import trafilatura

    title = None
    try:
        meta = trafilatura.extract_metadata(html, default_url=url)
        title = meta.title if meta is not None else None
    except Exception:  # metadata is a nicety
        log.debug("no metadata for %s", url, exc_info=True)
    text = None
    try:
        text = trafilatura.extract(
            html,
            url=url,
            output_format="markdown",
            include_links=True,
            include_tables=True,
            include_comments=False,
            favor_recall=True,
        )
    except Exception:
        log.debug("trafilatura could not extract %s", url, exc_info=True)
    if not text or not text.strip():
        try:
            text = trafilatura.html2txt(html)
        except Exception:
            text = ""
    if not text or not text.strip():
        text = _plain_text(html)
    return title, (text or "").strip()


def _plain_text(html: str) -> str:
    """All visible text, for fragments trafilatura gives nothing for."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    for node in tree.xpath("//script|//style|//noscript|//template"):
        node.drop_tree()
    lines = (" ".join(line.split()) for line in tree.text_content().splitlines())
    return "\n".join(line for line in lines if line)


class FetchArgs(BaseModel):
    url: str = Field(description="The http(s) URL of the page to read.")


def _run(args: FetchArgs, ctx: ToolContext) -> ToolOutput:
    result = fetch(
        args.url, ctx.settings, ctx.store, deadline=ctx.deadline, cancel=ctx.cancel
    )
    text = result.for_model()
    if not result.text.strip():
        text += "(the page has no readable text)"
    return ToolOutput(text, data=result.to_dict())


TOOL = Tool(
    name="fetch_url",
    description="Fetch a public web page (http/https) and return its main text as Markdown. "
    "Use it to read a page found with web_search or a URL the user gave.",
    args=FetchArgs,
    risk=Risk.NETWORK,
    run=_run,
)
