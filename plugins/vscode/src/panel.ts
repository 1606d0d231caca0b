// The chat webview panel: streamed Markdown answers, Stop, Copy / Insert at cursor.

import * as crypto from "node:crypto";
import * as vscode from "vscode";

import { FiresideApiError } from "./client/errors";
import { StreamingMarkdown, renderMarkdown } from "./client/markdown";
import { FromWebview, ToWebview, checkToWebview, parseFromWebview } from "./client/messages";
import { chatHtml } from "./client/webview";
import { makeClient, messageOf } from "./connection";

export class ChatPanel implements vscode.Disposable {
  private static current: ChatPanel | undefined;

  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private sessionId: string | undefined;
  private abort: AbortController | undefined;
  private ready: Promise<void>;
  private markReady!: () => void;
  private lastEditor: vscode.TextEditor | undefined;

  static show(context: vscode.ExtensionContext): ChatPanel {
    if (ChatPanel.current) {
      ChatPanel.current.panel.reveal(vscode.ViewColumn.Beside, true);
      return ChatPanel.current;
    }
    ChatPanel.current = new ChatPanel(context);
    return ChatPanel.current;
  }

  private constructor(private readonly context: vscode.ExtensionContext) {
    this.lastEditor = vscode.window.activeTextEditor;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    const media = vscode.Uri.joinPath(context.extensionUri, "media");
    this.panel = vscode.window.createWebviewPanel(
      "fireside.chat",
      "Fireside",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: true },
    );
    this.panel.webview.html = this.html(media);
    this.panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw), null, this.disposables);
    this.panel.onDidDispose(() => this.dispose(), null, this.disposables);
    vscode.window.onDidChangeActiveTextEditor(
      (e) => {
        if (e) {
          this.lastEditor = e;
        }
      },
      null,
      this.disposables,
    );
  }

  private html(media: vscode.Uri): string {
    const webview = this.panel.webview;
    return chatHtml({
      cspSource: webview.cspSource,
      scripts: ["validate.js", "chat.js"].map((f) => webview.asWebviewUri(vscode.Uri.joinPath(media, f)).toString()),
      style: webview.asWebviewUri(vscode.Uri.joinPath(media, "chat.css")).toString(),
      nonce: crypto.randomBytes(16).toString("base64"),
    });
  }

  private post(msg: ToWebview): void {
    void this.panel.webview.postMessage(checkToWebview(msg));
  }

  private async onMessage(raw: unknown): Promise<void> {
    const msg: FromWebview | undefined = parseFromWebview(raw);
    if (!msg) {
      return; // not a message we accept: ignored
    }
    switch (msg.type) {
      case "ready":
        this.markReady();
        break;
      case "ask":
        await this.ask(msg.text, msg.text);
        break;
      case "stop":
        this.stop();
        break;
      case "newChat":
        this.stop();
        this.sessionId = undefined;
        this.post({ type: "reset", title: "New chat" });
        break;
      case "copy":
        await vscode.env.clipboard.writeText(msg.code);
        void vscode.window.setStatusBarMessage("Fireside: code copied", 2000);
        break;
      case "insert":
        await this.insert(msg.code);
        break;
    }
  }

  private async insert(code: string): Promise<void> {
    const editor = vscode.window.activeTextEditor ?? this.lastEditor;
    if (!editor || editor.document.isClosed) {
      void vscode.window.showWarningMessage("Fireside: open an editor to insert the code into.");
      return;
    }
    await editor.edit((edit) => {
      for (const sel of editor.selections) {
        edit.replace(sel, code);
      }
    });
    await vscode.window.showTextDocument(editor.document, editor.viewColumn);
  }

  stop(): void {
    this.abort?.abort();
  }

  /** Show an existing session's history; new questions continue it. */
  async openSession(id: string): Promise<void> {
    await this.ready;
    this.stop();
    const client = await makeClient(this.context.secrets);
    const detail = await client.session(id);
    this.sessionId = detail.session.id;
    this.post({ type: "reset", title: detail.session.title });
    for (const m of detail.messages) {
      if (m.role === "user") {
        this.post({ type: "user", text: m.content });
      } else if (m.role === "assistant") {
        this.post({ type: "answer" });
        this.post({ type: "blocks", from: 0, html: renderMarkdown(m.content) });
      }
    }
  }

  /** Send `content` (shown as `shown`) and stream the answer into the panel. */
  async ask(content: string, shown: string, notice?: string): Promise<void> {
    await this.ready;
    if (this.abort) {
      this.post({ type: "notice", level: "info", text: "Still answering: press Stop first." });
      return;
    }
    this.post({ type: "user", text: shown });
    if (notice) {
      this.post({ type: "notice", level: "info", text: notice });
    }
    const abort = new AbortController();
    this.abort = abort;
    this.post({ type: "busy", busy: true });
    this.post({ type: "answer" });
    const md = new StreamingMarkdown();
    let pendingText = "";
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      timer = undefined;
      if (pendingText) {
        const update = md.append(pendingText);
        pendingText = "";
        this.post({ type: "blocks", from: update.from, html: update.html });
      }
    };
    try {
      const client = await makeClient(this.context.secrets);
      const result = await client.ask(this.sessionId, content, {
        signal: abort.signal,
        onEvent: (event) => {
          switch (event.type) {
            case "token":
              pendingText += event.text;
              timer ??= setTimeout(flush, 40); // batch tokens: one update per 40 ms
              break;
            case "status":
              this.post({ type: "status", text: event.text });
              break;
            case "context":
              if (event.model) {
                this.post({ type: "status", text: event.model });
              }
              if (event.sources?.length) {
                const cites = event.sources.map((s) => `${s.path}:${s.start_line}-${s.end_line}`).join(", ");
                this.post({ type: "notice", level: "info", text: `Context from the index: ${cites}` });
              }
              break;
            case "tool_call":
              this.post({ type: "notice", level: "info", text: `Tool: ${event.name}` });
              break;
            case "error":
              this.post({ type: "notice", level: "error", text: event.message });
              break;
            default:
              break;
          }
        },
      });
      if (result.sessionId) {
        this.sessionId = result.sessionId;
      }
      if (result.cancelled) {
        this.post({ type: "notice", level: "info", text: "Stopped." });
      }
    } catch (err) {
      if (err instanceof FiresideApiError && err.kind === "cancelled") {
        this.post({ type: "notice", level: "info", text: "Stopped." });
      } else {
        this.post({ type: "notice", level: "error", text: messageOf(err) });
        void vscode.commands.executeCommand("fireside.refreshStatus");
      }
    } finally {
      if (timer) {
        clearTimeout(timer);
      }
      flush();
      this.abort = undefined;
      this.post({ type: "busy", busy: false });
    }
  }

  dispose(): void {
    this.stop();
    ChatPanel.current = undefined;
    while (this.disposables.length) {
      this.disposables.pop()?.dispose();
    }
    this.panel.dispose();
  }
}
