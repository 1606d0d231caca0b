// The chat view's HTML: a strict Content-Security-Policy (nothing but our nonce'd scripts and
// our stylesheet; no remote resources, no inline code). No `vscode` import.

export interface WebviewAssets {
  cspSource: string; // webview.cspSource
  scripts: string[]; // webview URIs, in load order
  style: string;
  nonce: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "img-src 'none'",
    "font-src 'none'",
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join("; ");
}

function attr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

export function chatHtml(assets: WebviewAssets): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(assets.nonce)) {
    throw new Error("the webview nonce must be random base64");
  }
  const csp = contentSecurityPolicy(assets.cspSource, assets.nonce);
  const scripts = assets.scripts
    .map((src) => `<script nonce="${assets.nonce}" src="${attr(src)}"></script>`)
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(assets.style)}">
<title>Fireside</title>
</head>
<body>
<header><span id="title">New chat</span><span id="status"></span></header>
<main id="log" aria-live="polite"></main>
<footer>
  <textarea id="prompt" rows="3" placeholder="Ask Fireside… (Enter to send, Shift+Enter for a new line)"></textarea>
  <div class="buttons">
    <button id="send">Send</button>
    <button id="stop" disabled>Stop</button>
    <button id="new" title="Start a new session">New chat</button>
  </div>
</footer>
${scripts}
</body>
</html>`;
}
