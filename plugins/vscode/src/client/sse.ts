// Server-sent events parsing (the `text/event-stream` format), fed chunk by chunk.
// No `vscode` import.

export interface SseMessage {
  event: string; // "message" when the stream names none
  data: string;
  id?: string;
}

/** Incremental SSE parser: `feed()` text as it arrives, get whole messages back. */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | undefined;

  feed(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) {
        break;
      }
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) {
        break;
      }
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) {
        out.push(message);
      }
    }
    return out;
  }

  /** End of stream: a message not followed by a blank line is dropped, as the spec says. */
  end(): SseMessage[] {
    this.buffer = "";
    this.data = [];
    this.event = "";
    return [];
  }

  private line(line: string): SseMessage | undefined {
    if (line === "") {
      if (this.data.length === 0) {
        this.event = "";
        return undefined;
      }
      const message: SseMessage = { event: this.event || "message", data: this.data.join("\n") };
      if (this.id !== undefined) {
        message.id = this.id;
      }
      this.data = [];
      this.event = "";
      return message;
    }
    if (line.startsWith(":")) {
      return undefined; // comment / keep-alive
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) {
      value = value.slice(1);
    }
    if (field === "data") {
      this.data.push(value);
    } else if (field === "event") {
      this.event = value;
    } else if (field === "id") {
      this.id = value;
    }
    return undefined;
  }
}
