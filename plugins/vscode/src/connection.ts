// Settings + token → a FiresideClient (thin vscode glue).

import * as vscode from "vscode";

import { FiresideClient } from "./client/api";
import { FiresideApiError } from "./client/errors";
import { defaultTokenFile, readTokenFile } from "./client/token";

export const SECRET_KEY = "fireside.apiToken";

export function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("fireside");
}

export function serverUrl(): string {
  return settings().get<string>("serverUrl", "http://127.0.0.1:8765");
}

export function tokenFile(): string {
  const configured = settings().get<string>("tokenFile", "").trim();
  return configured || defaultTokenFile();
}

export async function readToken(secrets: vscode.SecretStorage): Promise<string> {
  if (settings().get<string>("tokenSource", "file") === "secretStorage") {
    const token = await secrets.get(SECRET_KEY);
    if (!token) {
      throw new FiresideApiError(
        "config",
        'No token in SecretStorage: run "Fireside: Store API token" (paste the output of `fireside token`).',
      );
    }
    return token;
  }
  return readTokenFile(tokenFile());
}

export async function makeClient(secrets: vscode.SecretStorage): Promise<FiresideClient> {
  return new FiresideClient(serverUrl(), await readToken(secrets));
}

export function messageOf(err: unknown): string {
  if (err instanceof FiresideApiError) {
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
