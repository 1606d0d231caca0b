// Prompts built from editor context (selection, file), capped in size. No `vscode` import.

export interface CodeContext {
  path: string; // shown to the model: relative to the workspace when possible
  startLine: number; // 1-based
  endLine: number; // 1-based, inclusive
  text: string;
  language?: string;
}

export interface BuiltPrompt {
  content: string;
  truncated: boolean;
  notice?: string; // shown to the user when the context was cut
}

/** Cut `text` to at most `max` characters on a line boundary; returns the kept line count. */
export function capText(text: string, max: number): { text: string; truncated: boolean; lines: number } {
  const total = text.split("\n").length;
  if (text.length <= max) {
    return { text, truncated: false, lines: total };
  }
  let cut = text.slice(0, max);
  const nl = cut.lastIndexOf("\n");
  if (nl > max / 2) {
    cut = cut.slice(0, nl);
  }
  return { text: cut, truncated: true, lines: cut.split("\n").length };
}

function fence(text: string): string {
  let ticks = "```";
  while (text.includes(ticks)) {
    ticks += "`";
  }
  return ticks;
}

/** The user message for a question about some code. */
export function buildCodePrompt(question: string, ctx: CodeContext, maxChars: number): BuiltPrompt {
  const capped = capText(ctx.text, maxChars);
  const endLine = capped.truncated ? ctx.startLine + capped.lines - 1 : ctx.endLine;
  const ticks = fence(capped.text);
  const where = `${ctx.path}:${ctx.startLine}-${endLine}`;
  let content = `${question.trim()}\n\nCode from ${where}:\n${ticks}${ctx.language ?? ""}\n${capped.text}\n${ticks}`;
  let notice: string | undefined;
  if (capped.truncated) {
    notice =
      `The selection was too long (${ctx.text.length} characters): only lines ${ctx.startLine}-${endLine} ` +
      `of ${ctx.startLine}-${ctx.endLine} were sent (limit ${maxChars} characters, setting fireside.maxSelectionChars).`;
    content += `\n\n(Only the first ${capped.lines} lines of ${ctx.path}:${ctx.startLine}-${ctx.endLine} are shown.)`;
  }
  return { content, truncated: capped.truncated, notice };
}
