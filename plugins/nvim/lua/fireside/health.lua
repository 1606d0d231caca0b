-- :checkhealth fireside — server reachable, token accepted, model.
local M = {}

local h = vim.health or {}
local start = h.start or h.report_start or function(s) vim.fn["health#report_start"](s) end
local ok = h.ok or h.report_ok or function(s) vim.fn["health#report_ok"](s) end
local warn = h.warn or h.report_warn or function(s, a) vim.fn["health#report_warn"](s, a or {}) end
local err = h.error or h.report_error or function(s, a) vim.fn["health#report_error"](s, a or {}) end

function M.check()
  local config = require("fireside.config")
  local http = require("fireside.http")
  start("Fireside")
  if vim.fn.executable("curl") == 1 then
    ok("curl found")
  else
    err("curl not found", { "install curl: the plugin talks to `fireside serve` with it" })
    return
  end
  local url = config.url()
  local good, why = config.check_url(url)
  if not good then
    err(why, { "set g:fireside_url, e.g. http://127.0.0.1:8765" })
    return
  end
  local health, e = http.request_sync("GET", "/api/v1/health", nil, { auth = false })
  if not health then
    err(e, { "start the server: fireside serve" })
    return
  end
  local model = type(health.model) == "table" and health.model.name or health.model
  ok(string.format("server reachable at %s (Fireside %s)", url, tostring(health.version or "?")))
  if model and model ~= "" then
    ok("model: " .. tostring(model))
  else
    warn("the server did not name its model")
  end
  local token, terr = config.token()
  if not token then
    err(terr, { "run `fireside token`, or set g:fireside_token" })
    return
  end
  local _, aerr = http.request_sync("GET", "/api/v1/sessions?limit=1")
  if aerr then
    err(aerr, { "compare the token with `fireside token`" })
  else
    ok("token accepted (" .. (vim.g.fireside_token and "g:fireside_token" or config.token_file()) .. ")")
  end
end

return M
