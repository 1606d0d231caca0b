// Checks every message the chat view receives from the extension (loaded before chat.js;
// also required by the node tests, which compare it with the extension's own check).
(function (root) {
  "use strict";
  function isString(v) { return typeof v === "string"; }
  function validMessage(msg) {
    if (!msg || typeof msg !== "object" || Array.isArray(msg) || !isString(msg.type)) return false;
    switch (msg.type) {
      case "reset": return isString(msg.title);
      case "user": case "status": return isString(msg.text);
      case "answer": return true;
      case "blocks":
        return Number.isInteger(msg.from) && msg.from >= 0 && Array.isArray(msg.html) && msg.html.every(isString);
      case "notice": return (msg.level === "info" || msg.level === "error") && isString(msg.text);
      case "busy": return typeof msg.busy === "boolean";
      default: return false;
    }
  }
  if (typeof module !== "undefined" && module.exports) {
    module.exports = { validMessage: validMessage };
  } else {
    root.firesideValidMessage = validMessage;
  }
})(this);
