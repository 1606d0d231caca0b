// Fireside for VS Code: commands over `fireside serve` (the logic lives in ./client).

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";

import { buildCodePrompt } from "./client/context";
import type { FiresideClient, IndexJob, SearchHit } from "./client/api";
import { FiresideApiError } from "./client/errors";
import { bestHit, fileLabel, findProjectRoot, hitLabel, resolveHit } from "./client/locations";
import { SECRET_KEY, makeClient, messageOf, settings } from "./connection";
import { ChatPanel } from "./panel";
import { StatusItem } from "./status";

let indexing: { controller: AbortController; jobId: string; root: string } | undefined;

function indexMessage(job: IndexJob): string {
  const p = job.progress;
  if (!p) {
    return "";
  }
  const files = p.files_total ? `${p.files_done ?? 0}/${p.files_total} files` : "";
  const chunks = p.chunks_total ? `${p.chunks_done ?? 0}/${p.chunks_total} chunks` : "";
  return [p.phase, files, chunks].filter(Boolean).join(" · ");
}

function maxChars(): number {
  return settings().get<number>("maxSelectionChars", 12000);
}

function relPath(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

function showError(err: unknown): void {
  if (err instanceof FiresideApiError && err.kind === "cancelled") {
    return;
  }
  void vscode.window.showErrorMessage(`Fireside: ${messageOf(err)}`);
}

/** A note when `uri` is outside every workspace folder (the index does not cover it). */
function outsideNotice(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== "file" || vscode.workspace.getWorkspaceFolder(uri)) {
    return undefined;
  }
  return `${uri.fsPath} is outside the indexed project (no workspace folder holds it): only the text you send is used, no code from the index.`;
}

function joinNotes(...notes: (string | undefined)[]): string | undefined {
  const kept = notes.filter((n): n is string => !!n);
  return kept.length ? kept.join(" ") : undefined;
}

function workspaceRoot(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  const folder = editor ? vscode.workspace.getWorkspaceFolder(editor.document.uri) : undefined;
  return (folder ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath;
}

export function activate(context: vscode.ExtensionContext): void {
  const status = new StatusItem(context.secrets);
  status.start();
  context.subscriptions.push(status);
  const command = (id: string, fn: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await fn(...args);
        } catch (err) {
          showError(err);
        }
      }),
    );
  };

  command("fireside.ask", async () => {
    const question = await vscode.window.showInputBox({ prompt: "Ask Fireside", ignoreFocusOut: true });
    if (question?.trim()) {
      await ChatPanel.show(context).ask(question, question);
    }
  });

  command("fireside.askSelection", async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) {
      void vscode.window.showWarningMessage("Fireside: select some code first.");
      return;
    }
    const question = await vscode.window.showInputBox({
      prompt: "Ask Fireside about the selection",
      value: "Explain this code.",
      ignoreFocusOut: true,
    });
    if (!question?.trim()) {
      return;
    }
    const sel = editor.selection;
    const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line;
    const built = buildCodePrompt(
      question,
      {
        path: relPath(editor.document.uri),
        startLine: sel.start.line + 1,
        endLine: endLine + 1,
        text: editor.document.getText(sel),
        language: editor.document.languageId,
      },
      maxChars(),
    );
    const shown = `${question}\n(${relPath(editor.document.uri)}:${sel.start.line + 1}-${endLine + 1})`;
    if (built.notice) {
      void vscode.window.showWarningMessage(`Fireside: ${built.notice}`);
    }
    await ChatPanel.show(context).ask(built.content, shown, joinNotes(built.notice, outsideNotice(editor.document.uri)));
  });

  command("fireside.explainFile", async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showWarningMessage("Fireside: open a file first.");
      return;
    }
    const doc = editor.document;
    const question = "Explain what this file does: its purpose, main parts and how they fit together.";
    const built = buildCodePrompt(
      question,
      { path: relPath(doc.uri), startLine: 1, endLine: doc.lineCount, text: doc.getText(), language: doc.languageId },
      maxChars(),
    );
    if (built.notice) {
      void vscode.window.showWarningMessage(`Fireside: ${built.notice}`);
    }
    await ChatPanel.show(context).ask(built.content, `Explain ${relPath(doc.uri)}`, joinNotes(built.notice, outsideNotice(doc.uri)));
  });

  /** Run a search; a folder without an index offers to start indexing (then: undefined). */
  const runSearch = async <T>(run: (client: FiresideClient, root: string | undefined) => Promise<T>): Promise<T | undefined> => {
    const client = await makeClient(context.secrets);
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: "Fireside: searching…" },
        () => run(client, workspaceRoot()),
      );
    } catch (err) {
      if (err instanceof FiresideApiError && err.kind === "not-found") {
        const choice = await vscode.window.showWarningMessage(`Fireside: ${err.message}`, "Start indexing");
        if (choice) {
          await vscode.commands.executeCommand("fireside.startIndexing");
        }
        return undefined;
      }
      throw err;
    }
  };

  const noResults = (query: string): void => {
    void vscode.window.showInformationMessage(
      `Fireside: no results for "${query}" (is this workspace indexed? Run "Fireside: Start indexing this workspace").`,
    );
  };

  /** Open a hit's file at its first line (hit paths are relative to the index root). */
  const openHit = async (hit: SearchHit, indexRoot: string | undefined): Promise<void> => {
    const here = workspaceRoot();
    const roots = [
      ...(indexRoot ? [indexRoot] : []),
      ...(here ? [findProjectRoot(here, fs.existsSync), here] : []),
      ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    ];
    const resolved = resolveHit(hit, roots, (f) => fs.existsSync(f));
    if (!resolved.ok) {
      void vscode.window.showWarningMessage(`Fireside: ${resolved.message}`);
      return;
    }
    const { file, line, endLine } = resolved.location;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const range = new vscode.Range(line, 0, Math.min(endLine, doc.lineCount - 1), 0);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(range.start, range.start) });
    vscode.window.activeTextEditor?.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  };

  command("fireside.search", async () => {
    const query = await vscode.window.showInputBox({ prompt: "Search the indexed codebase", ignoreFocusOut: true });
    if (!query?.trim()) {
      return;
    }
    const result = await runSearch((client, root) => client.search(query, 20, root));
    if (!result) {
      return;
    }
    if (!result.hits.length) {
      noResults(query);
      return;
    }
    const picked = await vscode.window.showQuickPick(
      result.hits.map((hit) => ({ ...hitLabel(hit), hit })),
      { matchOnDescription: true, matchOnDetail: true, placeHolder: `${result.hits.length} results for "${query}"` },
    );
    if (picked) {
      await openHit(picked.hit, result.root);
    }
  });

  command("fireside.searchFiles", async () => {
    const query = await vscode.window.showInputBox({ prompt: "Search the indexed codebase by file", ignoreFocusOut: true });
    if (!query?.trim()) {
      return;
    }
    const result = await runSearch((client, root) => client.searchFiles(query, 20, root));
    if (!result) {
      return;
    }
    if (!result.files.length) {
      noResults(query);
      return;
    }
    const picked = await vscode.window.showQuickPick(
      result.files.map((file) => ({ ...fileLabel(file), file })),
      { matchOnDescription: true, matchOnDetail: true, placeHolder: `${result.files.length} files for "${query}"` },
    );
    if (picked) {
      await openHit(bestHit(picked.file), result.root);
    }
  });

  command("fireside.openSession", async () => {
    const client = await makeClient(context.secrets);
    const sessions = await client.sessions();
    if (!sessions.length) {
      void vscode.window.showInformationMessage("Fireside: no sessions yet. Ask something first.");
      return;
    }
    const picked = await vscode.window.showQuickPick(
      sessions.map((s) => ({
        label: s.title,
        description: `${s.message_count ?? "?"} messages`,
        detail: `${s.updated_at ?? ""} · ${s.id}`,
        id: s.id,
      })),
      { placeHolder: "Open a Fireside session", matchOnDetail: true },
    );
    if (picked) {
      await ChatPanel.show(context).openSession(picked.id);
    }
  });

  command("fireside.startIndexing", async () => {
    const root = workspaceRoot();
    if (!root) {
      void vscode.window.showWarningMessage("Fireside: open a folder to index.");
      return;
    }
    if (indexing) {
      void vscode.window.showInformationMessage(`Fireside: already indexing ${indexing.root}.`);
      return;
    }
    const client = await makeClient(context.secrets);
    const started = await client.startIndex(root);
    if (typeof started.job_id !== "string") {
      throw new FiresideApiError("bad-response", "Fireside did not return an indexing job.");
    }
    const controller = new AbortController();
    const job = { controller, jobId: started.job_id, root };
    indexing = job;
    try {
      const final = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Fireside: indexing ${path.basename(root)}`, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => void vscode.commands.executeCommand("fireside.stopIndexing"));
          return client.followIndex(job.jobId, (data) => progress.report({ message: indexMessage(data) }), controller.signal);
        },
      );
      if (final.state === "failed") {
        void vscode.window.showErrorMessage(`Fireside: indexing failed: ${final.error ?? "unknown error"}`);
      } else if (final.state === "cancelled") {
        void vscode.window.showInformationMessage("Fireside: indexing stopped (what was indexed so far is kept).");
      } else {
        const files = typeof final.summary?.files === "number" ? ` (${final.summary.files} files)` : "";
        void vscode.window.showInformationMessage(`Fireside: ${path.basename(root)} is indexed${files}.`);
      }
    } finally {
      indexing = undefined;
    }
  });

  command("fireside.stopIndexing", async () => {
    const job = indexing;
    if (!job) {
      void vscode.window.showInformationMessage("Fireside: no indexing started from this window.");
      return;
    }
    const client = await makeClient(context.secrets);
    await client.stopIndex(job.jobId);
  });

  command("fireside.setToken", async () => {
    const token = await vscode.window.showInputBox({
      prompt: "Fireside API token (the output of `fireside token`)",
      password: true,
      ignoreFocusOut: true,
    });
    if (token?.trim()) {
      await context.secrets.store(SECRET_KEY, token.trim());
      await settings().update("tokenSource", "secretStorage", vscode.ConfigurationTarget.Global);
      await status.refresh();
    }
  });

  command("fireside.clearToken", async () => {
    await context.secrets.delete(SECRET_KEY);
    await settings().update("tokenSource", "file", vscode.ConfigurationTarget.Global);
    await status.refresh();
  });

  command("fireside.showStatus", () => status.explain());
  command("fireside.refreshStatus", () => status.refresh());

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("fireside")) {
        void status.refresh();
      }
    }),
  );
}

export function deactivate(): void {
  indexing?.controller.abort();
}
