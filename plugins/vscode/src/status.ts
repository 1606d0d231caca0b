// The status bar item: connected (model) / not running / unauthorized.

import * as vscode from "vscode";

import { modelName } from "./client/api";
import { FiresideApiError } from "./client/errors";
import { makeClient, messageOf, serverUrl } from "./connection";

export type ConnState = "connected" | "not-running" | "unauthorized" | "error";

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private timer: NodeJS.Timeout | undefined;
  state: ConnState = "not-running";
  detail = "";
  model = "";

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
    this.item.command = "fireside.showStatus";
    this.item.text = "$(flame) Fireside";
    this.item.show();
  }

  start(intervalMs = 30000): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
  }

  async refresh(): Promise<ConnState> {
    try {
      const client = await makeClient(this.secrets);
      const health = await client.health();
      this.model = modelName(health);
      await client.sessions(); // needs the token: tells "unauthorized" apart from "connected"
      this.set("connected", "");
    } catch (err) {
      const kind = err instanceof FiresideApiError ? err.kind : "";
      if (kind === "unauthorized" || kind === "config") {
        this.set("unauthorized", messageOf(err));
      } else if (kind === "not-running") {
        this.set("not-running", messageOf(err));
      } else {
        this.set("error", messageOf(err));
      }
    }
    return this.state;
  }

  private set(state: ConnState, detail: string): void {
    this.state = state;
    this.detail = detail;
    const model = this.model ? ` · ${this.model}` : "";
    switch (state) {
      case "connected":
        this.item.text = `$(flame) Fireside${model}`;
        this.item.tooltip = `Connected to ${serverUrl()}${model}`;
        this.item.backgroundColor = undefined;
        break;
      case "not-running":
        this.item.text = "$(debug-disconnect) Fireside: not running";
        this.item.tooltip = detail;
        this.item.backgroundColor = undefined;
        break;
      case "unauthorized":
        this.item.text = "$(lock) Fireside: unauthorized";
        this.item.tooltip = detail;
        this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.warningBackground");
        break;
      default:
        this.item.text = "$(warning) Fireside";
        this.item.tooltip = detail;
        this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.warningBackground");
    }
  }

  /** What to do now, for a click on the item. */
  async explain(): Promise<void> {
    const state = await this.refresh();
    if (state === "connected") {
      void vscode.window.showInformationMessage(`Fireside is connected at ${serverUrl()}${this.model ? ` (model ${this.model})` : ""}.`);
      return;
    }
    const actions: string[] = state === "unauthorized" ? ["Store API token", "Open settings"] : ["Open settings", "Retry"];
    const hint =
      state === "not-running"
        ? " Start it in a terminal with `fireside serve` (or the TUI's serve toggle)."
        : "";
    const choice = await vscode.window.showWarningMessage(this.detail + hint, ...actions);
    if (choice === "Store API token") {
      await vscode.commands.executeCommand("fireside.setToken");
    } else if (choice === "Open settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "fireside");
    } else if (choice === "Retry") {
      await this.refresh();
    }
  }

  dispose(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
    this.item.dispose();
  }
}
