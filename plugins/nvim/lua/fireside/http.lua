-- Talking to `fireside serve` with curl (vim.fn.jobstart): JSON requests and SSE streams.
-- The token goes to curl on stdin (-K -), never on its command line.
local config = require("fireside.config")
local sse = require("fireside.sse")

local M = {}

local MARK = "__FIRESIDE_HTTP_STATUS__:"

M._streams = {} -- running streams by job id

local function server_message(body)
  local ok, data = pcall(vim.json.decode, body)
  if ok and type(data) == "table" then
    if type(data.error) == "table" and type(data.error.message) == "string" then
      return data.error.message
    end
    if type(data.error) == "string" then
      return data.error
    end
    if type(data.detail) == "string" then
      return data.detail
    end
    if type(data.message) == "string" then
      return data.message
    end
  end
  body = vim.trim(body or "")
  return body:match("^[^\n]*"):sub(1, 300)
end

--- An HTTP status → one line saying what to do.
function M.status_message(status, body, retry_after)
  local detail = server_message(body or "")
  local suffix = detail ~= "" and (" (server said: " .. detail .. ")") or ""
  if status == 401 then
    return "Fireside refused the token (401 unauthorized): run `fireside token` and check "
      .. "g:fireside_token / the token file (a rotated token replaces the old one)"
  elseif status == 421 then
    return "Fireside refused the address " .. config.url() .. " (421, Host check): use "
      .. "http://127.0.0.1:PORT or http://localhost:PORT with the port `fireside serve` printed"
  elseif status == 403 then
    return "Fireside refused the request (403)" .. suffix
  elseif status == 503 then
    return "Fireside is busy with other requests (503)" .. suffix .. ": try again in "
      .. (retry_after and (retry_after .. " s") or "a moment")
  elseif status == 404 then
    return "not found (404)" .. suffix
  elseif status >= 500 then
    return "Fireside failed (" .. status .. ")" .. suffix
  end
  return "Fireside rejected the request (" .. status .. ")" .. suffix
end

function M.exit_message(code)
  if code == 7 then
    return "Fireside is not running at " .. config.url() .. ": start it with `fireside serve` (or set g:fireside_url)"
  elseif code == 28 then
    return "Fireside did not answer in time (" .. config.url() .. ")"
  elseif code == 18 or code == 52 or code == 56 then
    return "the connection to Fireside dropped before the answer was complete (was `fireside serve` restarted?); ask again"
  end
  return "curl failed (exit " .. code .. ") talking to " .. config.url()
end

local function prepare(method, path, body, stream, auth)
  local url = config.url()
  local ok, why = config.check_url(url)
  if not ok then
    return nil, why
  end
  local cfg = {}
  if auth ~= false then
    local token, err = config.token()
    if not token then
      return nil, err
    end
    table.insert(cfg, 'header = "Authorization: Bearer ' .. token:gsub('[\\"]', "") .. '"')
  end
  local head = vim.fn.tempname()
  local args = {
    "curl", "-sS", "-K", "-", "-X", method, "--connect-timeout", "5",
    "-H", "Accept: " .. (stream and "text/event-stream" or "application/json"),
    "-D", head, -- response headers (Retry-After) go to a file
    "--write-out", "\n" .. MARK .. "%{http_code}",
  }
  if stream then
    table.insert(args, "-N")
  else
    vim.list_extend(args, { "--max-time", "60" })
  end
  local tmp
  if body ~= nil then
    tmp = vim.fn.tempname()
    vim.fn.writefile({ vim.json.encode(body) }, tmp, "b")
    vim.list_extend(args, { "-H", "Content-Type: application/json", "--data-binary", "@" .. tmp })
  end
  table.insert(args, url .. path)
  return { args = args, stdin = table.concat(cfg, "\n") .. "\n", tmp = tmp, head = head }
end

--- Read and remove the temp files; returns the response headers (lower-case names).
local function finish(req)
  if req.tmp then
    os.remove(req.tmp)
  end
  local headers = {}
  if vim.fn.filereadable(req.head) == 1 then
    for _, l in ipairs(vim.fn.readfile(req.head)) do
      if l:match("^HTTP/") then
        headers = {}
      end
      local k, v = l:match("^([^:]+):%s*(.-)%s*$")
      if k then
        headers[k:lower()] = v
      end
    end
    os.remove(req.head)
  end
  return headers
end

--- Body text and status from curl's output (the status is the --write-out marker at the end).
local function split_status(text)
  local before, status = text:match("^(.*)\n" .. MARK .. "(%d+)%s*$")
  if not before then
    return text, 0
  end
  return before, tonumber(status) or 0
end

local function decode(method, path, code, text, headers)
  if code ~= 0 then
    return nil, M.exit_message(code)
  end
  local payload, status = split_status(text)
  if status < 200 or status >= 300 then
    return nil, M.status_message(status, payload, headers["retry-after"]), status
  end
  if vim.trim(payload) == "" then
    return {}
  end
  local ok, data = pcall(vim.json.decode, payload)
  if not ok then
    return nil, "Fireside sent a reply that is not JSON (" .. method .. " " .. path .. ")"
  end
  return data
end

--- A JSON request; `cb(err, data)` on the main loop. Returns the job id.
function M.request(method, path, body, cb, opts)
  opts = opts or {}
  local req, err = prepare(method, path, body, false, opts.auth)
  if not req then
    cb(err)
    return nil
  end
  local out = {}
  local job = vim.fn.jobstart(req.args, {
    stdout_buffered = true,
    on_stdout = function(_, data)
      out = data
    end,
    on_exit = function(_, code)
      local headers = finish(req)
      local data, e = decode(method, path, code, table.concat(out, "\n"), headers)
      cb(e, data)
    end,
  })
  if job <= 0 then
    cb("cannot run curl (is it installed?)")
    return nil
  end
  vim.fn.chansend(job, req.stdin)
  vim.fn.chanclose(job, "stdin")
  return job
end

--- Blocking JSON request (for :checkhealth): returns data, or nil and a message.
function M.request_sync(method, path, body, opts)
  opts = opts or {}
  local req, err = prepare(method, path, body, false, opts.auth)
  if not req then
    return nil, err
  end
  local text = vim.fn.system(req.args, req.stdin)
  local code = vim.v.shell_error
  return decode(method, path, code, text, finish(req))
end

--- POST and read an SSE stream of Fireside events.
--- handlers.on_event(event), handlers.on_finish(err_or_nil, info) where info.cancelled and
--- info.done tell how it ended. Returns the job id (for M.cancel), or nil.
function M.stream(method, path, body, handlers)
  local req, err = prepare(method, path, body, true)
  if not req then
    handlers.on_finish(err, {})
    return nil
  end
  local parser = sse.new()
  local state = { raw = {}, cancelled = false, done = false }
  local job = vim.fn.jobstart(req.args, {
    on_stdout = function(_, data)
      if #state.raw < 200 then
        vim.list_extend(state.raw, data)
      end
      for _, msg in ipairs(parser.feed(data)) do
        local ok, ev = pcall(vim.json.decode, msg.data)
        if ok and type(ev) == "table" then
          ev.type = ev.type or msg.event
          if ev.type == "done" then
            state.done = true
          end
          if handlers.on_event then
            handlers.on_event(ev)
          end
        end
      end
    end,
    on_exit = function(job_id, code)
      M._streams[job_id] = nil
      local headers = finish(req)
      local info = { cancelled = state.cancelled, done = state.done }
      if state.cancelled then
        return handlers.on_finish(nil, info)
      end
      local status = tonumber(parser.partial:match(MARK .. "(%d+)")) or 0
      info.status = status
      if code == 0 and status ~= 0 and (status < 200 or status >= 300) then
        local payload = split_status(table.concat(state.raw, "\n"))
        return handlers.on_finish(M.status_message(status, payload, headers["retry-after"]), info)
      end
      if state.done then
        return handlers.on_finish(nil, info)
      end
      if code == 7 then
        return handlers.on_finish(M.exit_message(7), info)
      end
      -- the stream stopped without its `done` event: the server went away mid-answer
      return handlers.on_finish(M.exit_message(56), info)
    end,
  })
  if job <= 0 then
    handlers.on_finish("cannot run curl (is it installed?)", {})
    return nil
  end
  M._streams[job] = state
  vim.fn.chansend(job, req.stdin)
  vim.fn.chanclose(job, "stdin")
  return job
end

--- Stop a stream: curl exits, the connection closes, the server cancels the generation.
function M.cancel(job)
  local state = M._streams and M._streams[job]
  if state then
    state.cancelled = true
  end
  pcall(vim.fn.jobstop, job)
end

return M
