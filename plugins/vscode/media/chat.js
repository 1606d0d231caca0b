// Fireside chat view (runs in the webview; CSP: only this nonce'd script, no remote resources).
// Every message from the extension is checked before use; every message to it has a fixed shape.
(function () {
  "use strict";
  const vscode = acquireVsCodeApi();
  const log = document.getElementById("log");
  const prompt = document.getElementById("prompt");
  const send = document.getElementById("send");
  const stop = document.getElementById("stop");
  const newChat = document.getElementById("new");
  const title = document.getElementById("title");
  const status = document.getElementById("status");
  let answer = null; // the current answer element
  let blocks = []; // its block elements

  const valid = window.firesideValidMessage; // media/validate.js

  function scroll() { log.scrollTop = log.scrollHeight; }

  function addCodeButtons(el) {
    el.querySelectorAll("pre").forEach(function (pre) {
      if (pre.dataset.buttons) return;
      pre.dataset.buttons = "1";
      const code = pre.querySelector("code");
      const bar = document.createElement("div");
      bar.className = "code-buttons";
      [["Copy", "copy"], ["Insert at cursor", "insert"]].forEach(function (pair) {
        const b = document.createElement("button");
        b.textContent = pair[0];
        b.addEventListener("click", function () {
          vscode.postMessage({ type: pair[1], code: code ? code.textContent : pre.textContent });
        });
        bar.appendChild(b);
      });
      pre.parentNode.insertBefore(bar, pre);
    });
  }

  function setBlocks(from, html) {
    if (!answer) startAnswer();
    for (let i = from; i < blocks.length; i++) blocks[i].remove();
    blocks = blocks.slice(0, from);
    html.forEach(function (h) {
      const div = document.createElement("div");
      div.className = "block";
      div.innerHTML = h; // produced by the extension's escaping Markdown renderer
      answer.appendChild(div);
      blocks.push(div);
    });
    // Buttons only on finished code blocks (all but the last block while streaming).
    blocks.slice(0, -1).forEach(addCodeButtons);
    if (stop.disabled && blocks.length) addCodeButtons(blocks[blocks.length - 1]);
    scroll();
  }

  function startAnswer() {
    answer = document.createElement("div");
    answer.className = "answer";
    blocks = [];
    log.appendChild(answer);
  }

  function line(cls, text) {
    const div = document.createElement("div");
    div.className = cls;
    div.textContent = text;
    log.appendChild(div);
    scroll();
  }

  window.addEventListener("message", function (event) {
    const msg = event.data;
    if (!valid(msg)) return;
    switch (msg.type) {
      case "reset":
        log.textContent = "";
        answer = null; blocks = [];
        title.textContent = msg.title;
        break;
      case "user": line("user", msg.text); answer = null; break;
      case "answer": startAnswer(); break;
      case "blocks": setBlocks(msg.from, msg.html); break;
      case "notice": line("notice " + msg.level, msg.text); break;
      case "status": status.textContent = msg.text; break;
      case "busy":
        stop.disabled = !msg.busy;
        send.disabled = msg.busy;
        if (!msg.busy && answer) blocks.forEach(addCodeButtons);
        break;
    }
  });

  function submit() {
    const text = prompt.value.trim();
    if (!text || send.disabled) return;
    vscode.postMessage({ type: "ask", text: text });
    prompt.value = "";
  }

  send.addEventListener("click", submit);
  stop.addEventListener("click", function () { vscode.postMessage({ type: "stop" }); });
  newChat.addEventListener("click", function () { vscode.postMessage({ type: "newChat" }); });
  prompt.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); }
  });
  vscode.postMessage({ type: "ready" });
})();
