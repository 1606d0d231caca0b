-- Settings: vim.g.fireside_url, vim.g.fireside_token, vim.g.fireside_token_file,
-- vim.g.fireside_max_selection_chars, or require("fireside").setup({...}).
local M = {}

M.defaults = {
  url = "http://127.0.0.1:8765",
  token = nil, -- a token string; nil: read the token file
  token_file = nil, -- nil: Fireside's default location
  max_selection_chars = 12000,
  search_results = 20,
  split = "vsplit", -- how the answer window opens: "vsplit" or "split"
}

M.options = vim.deepcopy(M.defaults)

function M.setup(opts)
  M.options = vim.tbl_extend("force", vim.deepcopy(M.defaults), opts or {})
end

local function get(name)
  local g = vim.g["fireside_" .. name]
  if g ~= nil and g ~= "" then
    return g
  end
  return M.options[name]
end

function M.url()
  return (get("url"):gsub("/+$", ""))
end

function M.max_selection_chars()
  return tonumber(get("max_selection_chars")) or 12000
end

function M.search_results()
  return tonumber(get("search_results")) or 20
end

function M.split()
  return get("split")
end

--- Fireside's data folder, as assistant/paths.py computes it.
function M.data_dir()
  local home = vim.env.FIRESIDE_HOME
  if home and home ~= "" then
    return vim.fn.expand(home) .. "/data"
  end
  if vim.fn.has("mac") == 1 then
    return vim.fn.expand("~/Library/Application Support/fireside")
  end
  if vim.fn.has("win32") == 1 then
    return (vim.env.LOCALAPPDATA or vim.fn.expand("~/AppData/Local")) .. "/fireside/fireside"
  end
  local xdg = vim.env.XDG_DATA_HOME
  if xdg and xdg:sub(1, 1) == "/" then
    return xdg .. "/fireside"
  end
  return vim.fn.expand("~/.local/share/fireside")
end

function M.token_file()
  local f = get("token_file")
  if f and f ~= "" then
    return vim.fn.expand(f)
  end
  return M.data_dir() .. "/api-token"
end

--- The token, or nil and a message saying what to do.
function M.token()
  local t = get("token")
  if t and t ~= "" then
    return t
  end
  local file = M.token_file()
  if vim.fn.filereadable(file) == 0 then
    return nil, "no Fireside token file at " .. file .. ": run `fireside token` once (or set g:fireside_token)"
  end
  local lines = vim.fn.readfile(file, "", 1)
  local token = vim.trim(lines[1] or "")
  if token == "" then
    return nil, "the token file " .. file .. " is empty: run `fireside token --rotate`"
  end
  return token
end

--- Is the URL http on a loopback host? (the token is never sent elsewhere)
function M.check_url(url)
  local host = url:match("^http://([^/]+)")
  if not host then
    return false, "g:fireside_url must start with http:// (got " .. url .. ")"
  end
  local name = host:match("^%[([^%]]+)%]") or host:match("^([^:]+)")
  if name ~= "127.0.0.1" and name ~= "localhost" and name ~= "::1" then
    return false, "g:fireside_url must be on this machine (127.0.0.1, localhost or [::1]), not " .. name
  end
  return true
end

return M
