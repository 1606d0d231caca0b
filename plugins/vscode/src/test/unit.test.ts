// Client logic without a server: SSE parsing, events, Markdown, prompts, hit locations,
// webview messages, token paths.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { checkServerUrl } from "../client/api";
import { buildCodePrompt } from "../client/context";
import { FiresideApiError, errorFromStatus, serverMessage } from "../client/errors";
import { parseEvent } from "../client/events";
import { bestHit, fileLabel, findProjectRoot, formatScore, hitLabel, isInside, resolveHit } from "../client/locations";
import { StreamingMarkdown, escapeHtml, renderMarkdown } from "../client/markdown";
import { ToWebview, checkToWebview, parseFromWebview } from "../client/messages";
import { chatHtml, contentSecurityPolicy } from "../client/webview";
import { SseParser } from "../client/sse";
import { defaultDataDir, defaultTokenFile, readTokenFile } from "../client/token";

test("SSE: messages split across chunks, CRLF, comments, multi-line data", () => {
  const p = new SseParser();
  assert.deepEqual(p.feed("data: {\"a\":"), []);
  assert.deepEqual(p.feed("1}\n"), []);
  assert.deepEqual(p.feed("\n"), [{ event: "message", data: '{"a":1}' }]);
  assert.deepEqual(p.feed(": keep-alive\r\n\r\nevent: token\r\ndata: x\r"), []);
  assert.deepEqual(p.feed("\ndata: y\r\n\r\n"), [{ event: "token", data: "x\ny" }]);
  assert.deepEqual(p.feed("data:[DONE]\n\n"), [{ event: "message", data: "[DONE]" }]);
});

test("events: known types parsed, unknown or malformed ignored", () => {
  assert.deepEqual(parseEvent('{"type":"token","text":"hi"}'), { type: "token", text: "hi" });
  assert.equal(parseEvent('{"type":"token"}'), undefined); // no text
  assert.equal(parseEvent('{"type":"weird","text":"x"}'), undefined);
  assert.equal(parseEvent("not json"), undefined);
  assert.deepEqual(parseEvent('{"session_id":"s1"}', "done"), { type: "done", session_id: "s1" });
});

test("errors: each status says what to do", () => {
  const base = "http://127.0.0.1:8765";
  assert.match(errorFromStatus(401, "", base).message, /fireside token/);
  assert.equal(errorFromStatus(401, "", base).kind, "unauthorized");
  assert.match(errorFromStatus(421, "", base).message, /127\.0\.0\.1:8765.*Host/);
  const busy = errorFromStatus(503, '{"error":{"message":"queue full"}}', base, "3");
  assert.equal(busy.kind, "busy");
  assert.equal(busy.retryAfter, 3);
  assert.match(busy.message, /queue full.*in 3 s/);
  assert.equal(serverMessage('{"detail":[{"msg":"field required"}]}'), "field required");
  assert.equal(errorFromStatus(500, "boom", base).kind, "server");
});

test("server URL must be loopback http", () => {
  assert.equal(checkServerUrl("http://localhost:9000").port, "9000");
  assert.throws(() => checkServerUrl("http://example.com:8765"), (e: FiresideApiError) => e.kind === "config" && /this machine/.test(e.message));
  assert.throws(() => checkServerUrl("https://127.0.0.1:8765"), /http:\/\//);
  assert.throws(() => checkServerUrl("nonsense"), /not a URL/);
});

test("markdown: escapes HTML, renders code fences, lists, headings", () => {
  const html = renderMarkdown("# Title\n\nSome <b>bold</b> **really** `x<y`\n\n- a\n- b\n\n```py\nprint('<hi>')\n```\n");
  assert.deepEqual(html, [
    "<h1>Title</h1>",
    "<p>Some &lt;b&gt;bold&lt;/b&gt; <strong>really</strong> <code>x&lt;y</code></p>",
    "<ul><li>a</li><li>b</li></ul>",
    '<pre><code class="language-py">print(&#39;&lt;hi&gt;&#39;)</code></pre>',
  ]);
  assert.equal(escapeHtml(`<script>"'&`), "&lt;script&gt;&quot;&#39;&amp;");
});

test("markdown: streaming re-renders only the growing block and ends like a full render", () => {
  const text = "Intro line.\n\n```js\nconst a = 1;\n\nconst b = 2;\n```\n\nAfter the code.\n- one\n- two\n";
  const md = new StreamingMarkdown();
  let blocks: string[] = [];
  let maxRerendered = 0;
  for (let i = 0; i < text.length; i += 3) {
    const update = md.append(text.slice(i, i + 3));
    assert.ok(update.from <= blocks.length, "never skips blocks");
    blocks = blocks.slice(0, update.from).concat(update.html);
    maxRerendered = Math.max(maxRerendered, update.html.length);
  }
  assert.deepEqual(blocks, renderMarkdown(text));
  assert.ok(maxRerendered <= 2, `re-rendered ${maxRerendered} blocks at once`);
  // the blank line inside the open fence did not end the code block
  assert.ok(blocks.some((b) => b.includes("const a = 1;\n\nconst b = 2;")));
});

test("selection prompt: path and lines; a huge selection is capped with a notice", () => {
  const small = buildCodePrompt("What does it do?", { path: "src/a.py", startLine: 3, endLine: 4, text: "x = 1\ny = 2", language: "python" }, 1000);
  assert.equal(small.truncated, false);
  assert.match(small.content, /src\/a\.py:3-4/);
  assert.match(small.content, /```python\nx = 1\ny = 2\n```/);
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join("\n");
  const big = buildCodePrompt("Explain", { path: "big.txt", startLine: 1, endLine: 5000, text: lines }, 2000);
  assert.equal(big.truncated, true);
  assert.ok(big.content.length < 2300);
  assert.match(big.notice ?? "", /too long.*only lines 1-\d+ of 1-5000/);
  const fenced = buildCodePrompt("q", { path: "r.md", startLine: 1, endLine: 1, text: "```x```" }, 100);
  assert.match(fenced.content, /````\n```x```\n````/);
});

test("search hits map to locations; paths outside the project are refused", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fireside-loc-"));
  fs.mkdirSync(path.join(root, "pkg"));
  fs.writeFileSync(path.join(root, "pkg", "m.py"), "a\nb\nc\n");
  const hit = { path: "pkg/m.py", start_line: 2, end_line: 3, score: 1, snippet: "\n  def f():\n" };
  const r = resolveHit(hit, ["/nonexistent", root], fs.existsSync);
  assert.deepEqual(r, { ok: true, location: { file: path.join(root, "pkg", "m.py"), line: 1, endLine: 2 } });
  const outside = resolveHit({ ...hit, path: "../etc/passwd" }, [root], fs.existsSync);
  assert.equal(outside.ok, false);
  assert.match(outside.ok ? "" : outside.message, /outside the indexed project/);
  const missing = resolveHit({ ...hit, path: "gone.py" }, [root], fs.existsSync);
  assert.match(missing.ok ? "" : missing.message, /not in this workspace/);
  assert.deepEqual(hitLabel({ ...hit, symbol: "f" }), { label: "f", description: "pkg/m.py:2", detail: "def f():" });
  assert.equal(isInside(root, path.join(root, "pkg", "m.py")), true);
  assert.equal(isInside(root, "/etc/passwd"), false);
  // hits are relative to the git root above the workspace folder, as the indexer finds it
  assert.equal(findProjectRoot(path.join(root, "pkg"), fs.existsSync), path.join(root, "pkg"));
  fs.mkdirSync(path.join(root, ".git"));
  assert.equal(findProjectRoot(path.join(root, "pkg"), fs.existsSync), root);
});

test("file results: label is the path, description the score, detail the best chunk; it opens there", () => {
  const file = {
    path: "pkg/m.py",
    score: 0.912345,
    chunks: [
      { path: "pkg/m.py", start_line: 7, end_line: 9, score: 0.9, snippet: "\n  def best():\n  pass" },
      { path: "pkg/m.py", start_line: 1, end_line: 2, score: 0.1, snippet: "import x" },
    ],
  };
  assert.deepEqual(fileLabel(file), { label: "pkg/m.py", description: "0.9123", detail: "def best():" });
  assert.deepEqual(bestHit(file), file.chunks[0]);
  const empty = { path: "pkg/e.py", score: 0.5, chunks: [] };
  assert.deepEqual(fileLabel(empty), { label: "pkg/e.py", description: "0.5", detail: "" });
  assert.deepEqual(bestHit(empty), { path: "pkg/e.py", start_line: 1, end_line: 1, score: 0.5, snippet: "" });
  assert.equal(formatScore(1), "1");
  assert.equal(formatScore(0.000123456), "0.0001235");
  // the best chunk resolves like a search hit: a file outside the project is refused
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fireside-files-"));
  fs.mkdirSync(path.join(root, "pkg"));
  fs.writeFileSync(path.join(root, "pkg", "m.py"), "a\n".repeat(12));
  assert.deepEqual(resolveHit(bestHit(file), [root], fs.existsSync), {
    ok: true,
    location: { file: path.join(root, "pkg", "m.py"), line: 6, endLine: 8 },
  });
  const outside = resolveHit(bestHit({ ...empty, path: "../x.py" }), [root], fs.existsSync);
  assert.equal(outside.ok, false);
});

test("webview messages: only known shapes pass", () => {
  assert.deepEqual(parseFromWebview({ type: "ask", text: "hi" }), { type: "ask", text: "hi" });
  assert.equal(parseFromWebview({ type: "ask", text: "  " }), undefined);
  assert.equal(parseFromWebview({ type: "ask", text: 5 }), undefined);
  assert.equal(parseFromWebview({ type: "ask", text: "x", extra: 1 }), undefined);
  assert.equal(parseFromWebview({ type: "runCommand", command: "rm" }), undefined);
  assert.equal(parseFromWebview("stop"), undefined);
  assert.deepEqual(parseFromWebview({ type: "insert", code: "x" }), { type: "insert", code: "x" });
  assert.equal(parseFromWebview({ type: "copy", code: "x".repeat(2_000_000) }), undefined);
});

test("token file: the documented location, clear errors", () => {
  assert.equal(defaultDataDir({ FIRESIDE_HOME: "/h" }, "linux", "/home/u"), path.join("/h", "data"));
  assert.equal(defaultDataDir({}, "linux", "/home/u"), path.join("/home/u", ".local", "share", "fireside"));
  assert.equal(defaultDataDir({ XDG_DATA_HOME: "/x" }, "linux", "/home/u"), path.join("/x", "fireside"));
  assert.equal(defaultDataDir({}, "darwin", "/Users/u"), path.join("/Users/u", "Library", "Application Support", "fireside"));
  assert.equal(path.basename(defaultTokenFile({}, "linux", "/home/u")), "api-token");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fireside-tok-"));
  assert.throws(() => readTokenFile(path.join(dir, "api-token")), /run `fireside token`/);
  fs.writeFileSync(path.join(dir, "api-token"), "  secret-token\n");
  assert.equal(readTokenFile(path.join(dir, "api-token")), "secret-token");
});

test("webview messages to the view: the view's own check (media/validate.js) agrees with the extension's", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { validMessage } = require(path.join(__dirname, "..", "..", "media", "validate.js")) as {
    validMessage: (m: unknown) => boolean;
  };
  const good: ToWebview[] = [
    { type: "reset", title: "t" },
    { type: "user", text: "q" },
    { type: "answer" },
    { type: "blocks", from: 0, html: ["<p>x</p>"] },
    { type: "notice", level: "error", text: "e" },
    { type: "status", text: "s" },
    { type: "busy", busy: true },
  ];
  for (const m of good) {
    assert.equal(validMessage(m), true, JSON.stringify(m));
    assert.deepEqual(checkToWebview(m), m);
  }
  const bad: unknown[] = [
    null, "x", [], { type: "eval", code: "1" }, { type: "blocks", from: -1, html: [] },
    { type: "blocks", from: 0, html: [1] }, { type: "notice", level: "warn", text: "x" }, { type: "busy", busy: "yes" },
  ];
  for (const m of bad) {
    assert.equal(validMessage(m), false, JSON.stringify(m));
    assert.throws(() => checkToWebview(m as ToWebview));
  }
});

test("webview HTML: strict CSP with a nonce, no remote resources, no inline script", () => {
  const nonce = "AbCdEfGhIjKlMnOpQrStUv==";
  const html = chatHtml({ cspSource: "vscode-webview://x", scripts: ["vscode-webview://x/validate.js", "vscode-webview://x/chat.js"], style: "vscode-webview://x/chat.css", nonce });
  const csp = contentSecurityPolicy("vscode-webview://x", nonce);
  assert.ok(html.includes(`content="${csp}"`));
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce.replace(/[+/=]/g, "\\$&")}'`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/);
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  assert.equal(scripts.length, 2);
  for (const tag of scripts) {
    assert.ok(tag.includes(`nonce="${nonce}"`) && tag.includes("src="), tag);
  }
  assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/, "no inline script body");
  assert.doesNotMatch(html, /(src|href)="https?:/);
  assert.throws(() => chatHtml({ cspSource: "x", scripts: [], style: "s", nonce: "short" }));
});
