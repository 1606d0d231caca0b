// A small, safe Markdown renderer for streamed answers. No `vscode` import.
//
// Streaming: the answer is split into blocks (paragraphs, headings, lists, fenced code). Every
// block but the last is final and rendered once; only the last (growing) block is re-rendered
// as tokens arrive, so a long answer costs O(n), not O(n²). All text is HTML-escaped; no raw
// HTML from the model ever reaches the page.

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Inline Markdown: `code`, **bold**, *em* / _em_, [text](url) shown as text. */
export function renderInline(text: string): string {
  const parts = text.split(/(`+[^`]*`+)/);
  return parts
    .map((part) => {
      const code = /^(`+)([^`]*)\1$/.exec(part);
      if (code) {
        return `<code>${escapeHtml(code[2])}</code>`;
      }
      let html = escapeHtml(part);
      html = html.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) => `${label} (${url})`);
      html = html.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
      html = html.replace(/(^|[^*\w])\*([^*\s][^*]*?)\*(?!\w)/g, "$1<em>$2</em>");
      html = html.replace(/(^|[^_\w])_([^_\s][^_]*?)_(?!\w)/g, "$1<em>$2</em>");
      return html;
    })
    .join("");
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const ORDERED = /^\s*\d+[.)]\s+(.*)$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;

interface BlockSpan {
  start: number; // offset in the source
  end: number;
}

/** Split Markdown into top-level blocks (offsets); a fence stays open until its closing line. */
export function splitBlocks(src: string): BlockSpan[] {
  const blocks: BlockSpan[] = [];
  const lines = src.split("\n");
  let offset = 0;
  let current: BlockSpan | undefined;
  let fence: string | undefined;
  let kind: "para" | "list" | "code" | undefined;
  const close = (): void => {
    if (current) {
      blocks.push(current);
    }
    current = undefined;
    kind = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const lineEnd = offset + line.length + (i < lines.length - 1 ? 1 : 0);
    if (fence !== undefined) {
      current!.end = lineEnd;
      const m = FENCE.exec(line);
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) {
        fence = undefined;
        close();
      }
    } else if (FENCE.test(line)) {
      close();
      fence = FENCE.exec(line)![1];
      current = { start: offset, end: lineEnd };
      kind = "code";
    } else if (line.trim() === "") {
      close();
    } else if (HEADING.test(line) || RULE.test(line)) {
      close();
      blocks.push({ start: offset, end: lineEnd });
    } else {
      const isItem = BULLET.test(line) || ORDERED.test(line);
      if (current && (kind === "para" || (kind === "list" && (isItem || /^\s/.test(line))))) {
        current.end = lineEnd;
        if (kind === "para" && isItem) {
          // a list right after a paragraph line starts a new block
          current.end = offset;
          blocks.push(current);
          current = { start: offset, end: lineEnd };
          kind = "list";
        }
      } else {
        close();
        current = { start: offset, end: lineEnd };
        kind = isItem ? "list" : "para";
      }
    }
    offset = lineEnd;
  }
  close();
  return blocks;
}

/** One block's HTML. */
export function renderBlock(src: string): string {
  const text = src.replace(/\n+$/, "");
  const lines = text.split("\n");
  const fence = FENCE.exec(lines[0]);
  if (fence) {
    const lang = fence[2];
    let body = lines.slice(1);
    const last = body[body.length - 1];
    if (body.length && last !== undefined && last.trim().startsWith(fence[1]) && last.trim() === last.trim().replace(/[^`~]/g, "")) {
      body = body.slice(0, -1);
    }
    const cls = lang ? ` class="language-${escapeHtml(lang)}"` : "";
    return `<pre><code${cls}>${escapeHtml(body.join("\n"))}</code></pre>`;
  }
  const heading = HEADING.exec(lines[0]);
  if (heading && lines.length === 1) {
    const level = heading[1].length;
    return `<h${level}>${renderInline(heading[2])}</h${level}>`;
  }
  if (RULE.test(lines[0]) && lines.length === 1) {
    return "<hr>";
  }
  if (BULLET.test(lines[0]) || ORDERED.test(lines[0])) {
    const ordered = ORDERED.test(lines[0]);
    const items: string[] = [];
    for (const line of lines) {
      const m = BULLET.exec(line) ?? ORDERED.exec(line);
      if (m) {
        items.push(m[1]);
      } else if (items.length) {
        items[items.length - 1] += " " + line.trim();
      }
    }
    const tag = ordered ? "ol" : "ul";
    return `<${tag}>${items.map((i) => `<li>${renderInline(i)}</li>`).join("")}</${tag}>`;
  }
  if (lines.every((l) => /^\s*>/.test(l))) {
    return `<blockquote>${lines.map((l) => renderInline(l.replace(/^\s*>\s?/, ""))).join("<br>")}</blockquote>`;
  }
  return `<p>${lines.map(renderInline).join("<br>")}</p>`;
}

export function renderMarkdown(src: string): string[] {
  return splitBlocks(src).map((b) => renderBlock(src.slice(b.start, b.end)));
}

/** An update for the chat view: replace blocks from index `from` with `html`. */
export interface BlockUpdate {
  from: number;
  html: string[];
}

/** Incremental renderer for one streamed answer. */
export class StreamingMarkdown {
  private done = ""; // source of the blocks that are final
  private pending = ""; // source after them (the block(s) still growing)
  private finalCount = 0;

  get text(): string {
    return this.done + this.pending;
  }

  /** Add streamed text; returns the blocks that changed. */
  append(chunk: string): BlockUpdate {
    this.pending += chunk;
    const spans = splitBlocks(this.pending);
    const from = this.finalCount;
    const html = spans.map((s) => renderBlock(this.pending.slice(s.start, s.end)));
    if (spans.length > 1) {
      // all but the last block are final: keep their source out of future re-renders
      const cut = spans[spans.length - 1].start;
      this.done += this.pending.slice(0, cut);
      this.pending = this.pending.slice(cut);
      this.finalCount += spans.length - 1;
    }
    return { from, html };
  }
}
