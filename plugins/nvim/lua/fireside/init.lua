-- Fireside for Neovim: ask the local model, search the indexed codebase, continue sessions.
-- Talks to `fireside serve` (see plugins/README.md) with curl; nothing else is needed.
local config = require("fireside.config")
local http = require("fireside.http")

local M = {}

-- One conversation per Neovim: its session id, the answer buffer, the running request.
M.state = { session_id = nil, buf = nil, job = nil, last_error = nil }

function M.setup(opts)
  config.setup(opts)
end

local function notify(msg, level)
  vim.notify("Fireside: " .. msg, level or vim.log.levels.INFO)
end

--- The answer buffer (a markdown scratch buffer), shown in a split.
function M.buffer()
  local buf = M.state.buf
  if not (buf and vim.api.nvim_buf_is_valid(buf)) then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, "fireside://chat")
    vim.bo[buf].buftype = "nofile"
    vim.bo[buf].bufhidden = "hide"
    vim.bo[buf].swapfile = false
    vim.bo[buf].filetype = "markdown"
    M.state.buf = buf
  end
  if vim.fn.bufwinid(buf) == -1 then
    local cur = vim.api.nvim_get_current_win()
    vim.cmd(config.split() == "split" and "botright split" or "botright vsplit")
    vim.api.nvim_win_set_buf(0, buf)
    vim.wo.wrap = true
    vim.wo.linebreak = true
    vim.api.nvim_set_current_win(cur)
  end
  return buf
end

local function append_lines(buf, lines)
  local count = vim.api.nvim_buf_line_count(buf)
  local first = vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1]
  if count == 1 and first == "" then
    vim.api.nvim_buf_set_lines(buf, 0, 1, false, lines)
  else
    vim.api.nvim_buf_set_lines(buf, count, count, false, lines)
  end
end

--- Add streamed text to the end of the buffer (continuing its last line).
local function append_text(buf, text)
  local count = vim.api.nvim_buf_line_count(buf)
  local last = vim.api.nvim_buf_get_lines(buf, count - 1, count, false)[1] or ""
  local parts = vim.split(last .. text, "\n", { plain = true })
  vim.api.nvim_buf_set_lines(buf, count - 1, count, false, parts)
end

local function follow(buf)
  local win = vim.fn.bufwinid(buf)
  if win ~= -1 then
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 })
  end
end

--- Code context for a question: the lines of `bufnr` from line1 to line2, capped.
--- Returns the message to send, and a notice when the text was cut.
function M.code_prompt(question, path, line1, line2, lines, filetype)
  local max = config.max_selection_chars()
  local text = table.concat(lines, "\n")
  local notice
  local last = line2
  if #text > max then
    local kept, size = {}, 0
    for _, l in ipairs(lines) do
      if size + #l + 1 > max then
        break
      end
      table.insert(kept, l)
      size = size + #l + 1
    end
    if #kept == 0 then
      kept = { lines[1]:sub(1, max) }
    end
    last = line1 + #kept - 1
    notice = string.format(
      "the selection was too long (%d characters): only lines %d-%d of %d-%d were sent (limit %d, g:fireside_max_selection_chars)",
      #text, line1, last, line1, line2, max)
    text = table.concat(kept, "\n")
  end
  local ticks = "```"
  while text:find(ticks, 1, true) do
    ticks = ticks .. "`"
  end
  local msg = string.format("%s\n\nCode from %s:%d-%d:\n%s%s\n%s\n%s", vim.trim(question), path, line1, last,
    ticks, filetype or "", text, ticks)
  if notice then
    msg = msg .. string.format("\n\n(Only the first %d lines of %s:%d-%d are shown.)", last - line1 + 1, path, line1, line2)
  end
  return msg, notice
end

--- Send a message in the current session (none: a new one); the answer streams into the buffer.
function M.send(content, shown, notice)
  if M.state.job then
    notify("still answering: :FiresideStop first", vim.log.levels.WARN)
    return
  end
  local buf = M.buffer()
  local header = { "## You", "" }
  vim.list_extend(header, vim.split(shown or content, "\n", { plain = true }))
  if notice then
    vim.list_extend(header, { "", "> Note: " .. notice })
    notify(notice, vim.log.levels.WARN)
  end
  vim.list_extend(header, { "", "## Fireside", "", "" }) -- the answer streams into the last line
  if vim.api.nvim_buf_line_count(buf) > 1 then
    table.insert(header, 1, "")
  end
  append_lines(buf, header)
  M.state.last_error = nil
  local session = M.state.session_id or "new"
  M.state.job = http.stream("POST", "/api/v1/sessions/" .. session .. "/messages", { content = content }, {
    on_event = function(ev)
      if ev.type == "token" and type(ev.text) == "string" then
        append_text(buf, ev.text)
        follow(buf)
      elseif ev.type == "message_done" and type(ev.session_id) == "string" then
        M.state.session_id = ev.session_id
      elseif ev.type == "done" and type(ev.session_id) == "string" then
        M.state.session_id = ev.session_id
      elseif ev.type == "error" and type(ev.message) == "string" then
        append_lines(buf, { "", "> Error: " .. ev.message })
        M.state.last_error = ev.message
      elseif ev.type == "context" and type(ev.sources) == "table" and #ev.sources > 0 then
        local cites = {}
        for _, s in ipairs(ev.sources) do
          table.insert(cites, string.format("%s:%s-%s", s.path, s.start_line, s.end_line))
        end
        append_lines(buf, { "> Context: " .. table.concat(cites, ", "), "" })
      end
    end,
    on_finish = function(err, info)
      M.state.job = nil
      if info.cancelled then
        append_lines(buf, { "", "> Stopped." })
      elseif err then
        append_lines(buf, { "", "> Error: " .. err })
        M.state.last_error = err
        notify(err, vim.log.levels.ERROR)
      end
      follow(buf)
      vim.api.nvim_exec_autocmds("User", { pattern = "FiresideAnswerDone", modeline = false })
    end,
  })
end

--- :FiresideAsk {prompt} (with a range: about those lines of the current buffer)
function M.ask(question, line1, line2)
  if not question or vim.trim(question) == "" then
    question = vim.fn.input("Ask Fireside: ")
    if vim.trim(question) == "" then
      return
    end
  end
  if line1 and line2 then
    local bufnr = vim.api.nvim_get_current_buf()
    local lines = vim.api.nvim_buf_get_lines(bufnr, line1 - 1, line2, false)
    local name = vim.api.nvim_buf_get_name(bufnr)
    local path = name ~= "" and vim.fn.fnamemodify(name, ":.") or "[No Name]"
    local content, notice = M.code_prompt(question, path, line1, line2, lines, vim.bo[bufnr].filetype)
    local root = M.project_root()
    local abs = name ~= "" and vim.fn.fnamemodify(name, ":p") or ""
    if abs ~= "" and abs:sub(1, #root + 1) ~= root .. "/" then
      local outside = abs .. " is outside the indexed project (" .. root
        .. "): only the selected lines are sent, no code from the index"
      notice = notice and (notice .. "; " .. outside) or outside
    end
    return M.send(content, string.format("%s\n(%s:%d-%d)", question, path, line1, line2), notice)
  end
  M.send(question, question)
end

--- The visual-mode mapping: ask about the selected lines.
function M.ask_selection()
  local line1, line2 = vim.fn.line("'<"), vim.fn.line("'>")
  local question = vim.fn.input("Ask Fireside about lines " .. line1 .. "-" .. line2 .. ": ", "Explain this code.")
  if vim.trim(question) ~= "" then
    M.ask(question, line1, line2)
  end
end

--- :FiresideStop
function M.stop()
  if M.state.job then
    http.cancel(M.state.job)
  else
    notify("nothing to stop")
  end
end

--- :FiresideNew — the next question starts a new session.
function M.new()
  M.stop_quiet()
  M.state.session_id = nil
  local buf = M.buffer()
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, {})
end

function M.stop_quiet()
  if M.state.job then
    http.cancel(M.state.job)
  end
end

--- The project folder a path belongs to, as Fireside's indexer finds it: the nearest folder
--- above holding .git, else the folder itself.
function M.project_root(start)
  local dir = vim.fn.fnamemodify(start or vim.fn.getcwd(), ":p"):gsub("/+$", "")
  local cur = dir
  while cur and cur ~= "" do
    if vim.loop.fs_stat(cur .. "/.git") then
      return cur
    end
    local parent = vim.fn.fnamemodify(cur, ":h")
    if parent == cur then
      break
    end
    cur = parent
  end
  return dir
end

--- Search hits → quickfix items (paths relative to the index root, else to the cwd).
function M.hits_to_qf(hits, root)
  local items = {}
  local base = root or vim.fn.getcwd()
  for _, h in ipairs(hits) do
    if type(h) == "table" and type(h.path) == "string" and tonumber(h.start_line) then
      local rel = h.path
      local outside = rel:sub(1, 1) == "/" or rel:match("^%a:") or ("/" .. rel .. "/"):find("/../", 1, true)
      if not outside then
        local snippet = type(h.snippet) == "string" and h.snippet or ""
        local first = vim.trim(snippet:match("^%s*([^\n]*)") or "")
        table.insert(items, {
          filename = base .. "/" .. rel,
          lnum = tonumber(h.start_line),
          end_lnum = tonumber(h.end_line),
          text = (h.symbol and (h.symbol .. ": ") or "") .. first,
        })
      end
    end
  end
  return items
end

--- File-level search results ([{path, score, chunks: [hits, best first]}]) → quickfix items,
--- one per file in the server's order (best first), at the file's best chunk; the text is the
--- file's rank and score, then the best chunk's first snippet line.
function M.files_to_qf(files, root)
  local items = {}
  local rank = 0
  for _, f in ipairs(files) do
    if type(f) == "table" and type(f.path) == "string" then
      local chunks = type(f.chunks) == "table" and f.chunks or (type(f.hits) == "table" and f.hits) or {}
      -- the best chunk (the server sends them best first); none: the top of the file
      local best = { path = f.path, start_line = 1, end_line = 1, snippet = "" }
      for _, h in ipairs(chunks) do
        if type(h) == "table" and tonumber(h.start_line) then
          best = { path = f.path, start_line = h.start_line, end_line = h.end_line or h.start_line,
            snippet = h.snippet, symbol = type(h.symbol) == "string" and h.symbol or nil }
          break
        end
      end
      local item = M.hits_to_qf({ best }, root)[1]
      if item then
        rank = rank + 1
        local score = tonumber(f.score)
        local head = score and string.format("#%d %.4g", rank, score) or ("#" .. rank)
        item.text = item.text ~= "" and (head .. "  " .. item.text) or head
        table.insert(items, item)
      end
    end
  end
  return items
end

local function run_search(query, files, cb)
  local usage = files and ":FiresideSearchFiles {query}" or ":FiresideSearch {query}"
  if not query or vim.trim(query) == "" then
    notify("usage: " .. usage, vim.log.levels.WARN)
    return
  end
  local root = M.project_root()
  local body = { query = query, k = config.search_results(), path = root }
  if files then
    body.files = true
  end
  http.request("POST", "/api/v1/search", body, function(err, data)
    if err then
      if err:find("not indexed", 1, true) then
        err = root .. " is not indexed yet: run :FiresideIndex (or `fireside index`)"
      end
      notify(err, vim.log.levels.ERROR)
      M.state.last_error = err
      return cb and cb(err)
    end
    local list = data.hits or data.results or (vim.tbl_islist(data) and data) or {}
    local base = type(data.root) == "string" and data.root or root
    local items = files and M.files_to_qf(list, base) or M.hits_to_qf(list, base)
    local title = (files and "Fireside files: " or "Fireside: ") .. query
    vim.fn.setqflist({}, " ", { title = title, items = items })
    if #items == 0 then
      notify('no results for "' .. query .. '" in ' .. root, vim.log.levels.WARN)
    else
      vim.cmd("copen")
    end
    if cb then
      cb(nil, items)
    end
  end)
end

--- :FiresideSearch {query} (opts.files: one entry per file, as :FiresideSearchFiles)
function M.search(query, cb, opts)
  run_search(query, opts and opts.files or false, cb)
end

--- :FiresideSearchFiles {query} — files as the unit: one quickfix entry per file, best first.
function M.search_files(query, cb)
  run_search(query, true, cb)
end

--- :FiresideIndex — index (or refresh) the current project in the background.
function M.index(cb)
  local root = M.project_root()
  http.request("POST", "/api/v1/index", { path = root }, function(err, job)
    if err or type(job.job_id) ~= "string" then
      err = err or "Fireside did not return an indexing job"
      notify(err, vim.log.levels.ERROR)
      return cb and cb(err)
    end
    notify("indexing " .. root .. " …")
    local timer = vim.loop.new_timer()
    local polling = false
    timer:start(1000, 1000, vim.schedule_wrap(function()
      if polling then
        return
      end
      polling = true
      http.request("GET", "/api/v1/index/" .. job.job_id, nil, function(e, state)
        polling = false
        if not e and state.state == "running" then
          return
        end
        timer:stop()
        timer:close()
        if e then
          notify(e, vim.log.levels.ERROR)
        elseif state.state == "failed" then
          e = "indexing failed: " .. tostring(state.error)
          notify(e, vim.log.levels.ERROR)
        else
          notify("indexing " .. state.state .. ": " .. root)
        end
        if cb then
          cb(e, state)
        end
      end)
    end))
  end)
end

--- Show a session's history in the buffer and continue it.
function M.open_session(id, cb)
  http.request("GET", "/api/v1/sessions/" .. id, nil, function(err, data)
    if err then
      notify(err, vim.log.levels.ERROR)
      return cb and cb(err)
    end
    local session = data.session or data
    M.state.session_id = session.id or id
    local buf = M.buffer()
    local lines = { "# " .. (session.title or id), "" }
    for _, m in ipairs(data.messages or {}) do
      if m.role == "user" or m.role == "assistant" then
        table.insert(lines, m.role == "user" and "## You" or "## Fireside")
        table.insert(lines, "")
        vim.list_extend(lines, vim.split(m.content or "", "\n", { plain = true }))
        table.insert(lines, "")
      end
    end
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    follow(buf)
    if cb then
      cb(nil, session)
    end
  end)
end

--- :FiresideSessions — pick one (vim.ui.select) to continue it.
function M.sessions(cb)
  http.request("GET", "/api/v1/sessions", nil, function(err, data)
    if err then
      notify(err, vim.log.levels.ERROR)
      return cb and cb(err)
    end
    local list = data.sessions or (vim.tbl_islist(data) and data) or {}
    if #list == 0 then
      notify("no sessions yet: ask something first")
      return cb and cb(nil, nil)
    end
    vim.ui.select(list, {
      prompt = "Fireside sessions",
      format_item = function(s)
        return string.format("%s  (%s messages, %s)", s.title or s.id, s.message_count or "?", s.updated_at or "")
      end,
    }, function(choice)
      if choice then
        M.open_session(choice.id, cb)
      elseif cb then
        cb(nil, nil)
      end
    end)
  end)
end

return M
