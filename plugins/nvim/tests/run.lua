-- Headless tests for the Neovim plugin against a real `fireside serve`.
--
--   nvim --headless -u NONE -i NONE -n -c "luafile plugins/nvim/tests/run.lua"
--
-- Starts `.venv/bin/fireside serve --port 0` (FIRESIDE_BIN overrides) with a private
-- FIRESIDE_HOME and the embedded model, then drives the commands and asserts on the answer
-- buffer and the quickfix list. Exits 0 when every test passed, 1 otherwise.

local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
local plugin_dir = vim.fn.fnamemodify(here, ":h")
local repo = vim.fn.fnamemodify(plugin_dir, ":h:h")
vim.opt.runtimepath:prepend(plugin_dir)
vim.opt.swapfile = false
vim.cmd("runtime plugin/fireside.lua")

local results = { passed = 0, failed = {} }
io.stdout:write("\n")
local function log(msg)
  io.stdout:write(msg .. "\n")
end

local function test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    results.passed = results.passed + 1
    log("ok - " .. name)
  else
    table.insert(results.failed, name)
    log("not ok - " .. name .. "\n" .. tostring(err))
  end
end

local function finish(code)
  io.stdout:flush()
  vim.cmd((code == 0 and "qall!" or "cquit! " .. code))
end

local function eq(a, b, msg)
  if a ~= b then
    error((msg or "not equal") .. ": " .. vim.inspect(a) .. " ~= " .. vim.inspect(b), 2)
  end
end

local function truthy(v, msg)
  if not v then
    error(msg or "expected a true value", 2)
  end
end

local function wait(ms, cond, what)
  if not vim.wait(ms, cond, 50) then
    error("timed out waiting for " .. (what or "a condition"), 2)
  end
end

local function buf_text()
  local fs = require("fireside")
  if not (fs.state.buf and vim.api.nvim_buf_is_valid(fs.state.buf)) then
    return ""
  end
  return table.concat(vim.api.nvim_buf_get_lines(fs.state.buf, 0, -1, false), "\n")
end

local function tempdir(prefix)
  local dir = vim.fn.tempname() .. "-" .. prefix
  vim.fn.mkdir(dir, "p")
  return dir
end

-- start the server ---------------------------------------------------------------------------

local bin = vim.env.FIRESIDE_BIN or (repo .. "/.venv/bin/fireside")
if vim.fn.executable(bin) == 0 then
  log("SKIP: no " .. bin .. " (run make install)")
  finish(0)
  return
end

local home = tempdir("home")
local env_prefix = {
  FIRESIDE_HOME = home,
  FIRESIDE_MAX_TOKENS = "24",
  FIRESIDE_TEMPERATURE = "0",
  FIRESIDE_SEED = "1",
  FIRESIDE_TOOLS__ENABLED = "false",
  HF_HUB_OFFLINE = "1",
  OMP_WAIT_POLICY = "passive",
}
-- the plugin reads the token file under $FIRESIDE_HOME, as users' editors do
for k, v in pairs(env_prefix) do
  vim.env[k] = v
end

local function start_server()
  local out = {}
  local port
  local job = vim.fn.jobstart({ bin, "serve", "--port", "0" }, {
    on_stdout = function(_, data)
      vim.list_extend(out, data)
    end,
    on_stderr = function(_, data)
      vim.list_extend(out, data)
    end,
  })
  wait(120000, function()
    port = table.concat(out, "\n"):match("http://127%.0%.0%.1:(%d+)")
    return port ~= nil or vim.fn.jobwait({ job }, 0)[1] ~= -1
  end, "fireside serve to print its address")
  truthy(port, "fireside serve did not start:\n" .. table.concat(out, "\n"))
  local url = "http://127.0.0.1:" .. port
  wait(60000, function()
    vim.fn.system({ "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url .. "/api/v1/health" })
    return vim.v.shell_error == 0
  end, "the server to answer")
  return job, url
end

local ok_start, server_job, url = pcall(start_server)
if not ok_start then
  log("not ok - start fireside serve\n" .. tostring(server_job))
  finish(1)
  return
end
vim.fn.system({ bin, "token" }) -- created already by serve; reading it the documented way
vim.g.fireside_url = url
local fs = require("fireside")
local http = require("fireside.http")

local notes = {}
local real_notify = vim.notify
vim.notify = function(msg, level)
  table.insert(notes, { msg = msg, level = level })
end

local function ask_and_wait(cmd)
  vim.api.nvim_exec_autocmds("User", { pattern = "FiresideTestReset", modeline = false })
  vim.cmd(cmd)
  wait(120000, function()
    return fs.state.job == nil
  end, "the answer to finish")
end

-- tests --------------------------------------------------------------------------------------

test(":checkhealth fireside reports the server, the model and the token", function()
  vim.cmd("checkhealth fireside")
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  truthy(text:find("server reachable at " .. url, 1, true), text)
  truthy(text:find("model: SmolLM2", 1, true), text)
  truthy(text:find("token accepted", 1, true), text)
  vim.cmd("bwipeout!")
end)

test(":FiresideAsk streams the answer into the scratch buffer as Markdown", function()
  ask_and_wait("FiresideAsk Say hello in one short sentence.")
  local text = buf_text()
  truthy(text:find("## You\n\nSay hello in one short sentence.\n\n## Fireside\n\n", 1, true), text)
  local answer = text:match("## Fireside\n\n(.*)$")
  truthy(answer and vim.trim(answer) ~= "", "an answer: " .. text)
  truthy(not text:find("> Error", 1, true), text)
  eq(vim.bo[fs.state.buf].filetype, "markdown")
  truthy(fs.state.session_id, "a session id")
  truthy(vim.fn.bufwinid(fs.state.buf) ~= -1, "the buffer is shown in a split")
end)

test("asking again continues the same session", function()
  local first = fs.state.session_id
  ask_and_wait("FiresideAsk Now say goodbye.")
  eq(fs.state.session_id, first, "same session")
  local data = assert(http.request_sync("GET", "/api/v1/sessions/" .. first))
  eq(#data.messages, 4, "two turns stored")
  eq(data.messages[3].content, "Now say goodbye.")
end)

test("a range sends the lines with their path; a huge selection is capped and says so", function()
  local dir = tempdir("sel")
  local file = dir .. "/sample.py"
  local lines = {}
  for i = 1, 400 do
    lines[i] = string.format("value_%d = %d  # a line of padding to make the file long", i, i)
  end
  vim.fn.writefile(lines, file)
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  fs.new()
  ask_and_wait("2,3FiresideAsk What do these lines do?")
  local text = buf_text()
  truthy(text:find("What do these lines do?\n(", 1, true), text)
  truthy(text:find("sample.py:2-3)", 1, true), text)
  truthy(not text:find("too long", 1, true), text)
  truthy(text:find("sample.py is outside the indexed project (" .. repo .. ")", 1, true), text)
  vim.g.fireside_max_selection_chars = 500
  ask_and_wait("1,400FiresideAsk Summarise.")
  vim.g.fireside_max_selection_chars = nil
  text = buf_text()
  truthy(text:find("> Note: the selection was too long", 1, true), text)
  truthy(text:find("only lines 1%-%d+ of 1%-400 were sent"), text)
  local warned = false
  for _, n in ipairs(notes) do
    warned = warned or (n.msg:find("too long", 1, true) ~= nil)
  end
  truthy(warned, "a notification about the cut")
  local prompt, notice = fs.code_prompt("q", "a.lua", 1, 2, { "x", "y" }, "lua")
  truthy(prompt:find("Code from a.lua:1-2:\n```lua\nx\ny\n```", 1, true), prompt)
  eq(notice, nil)
  vim.cmd("bwipeout!")
end)

test("the visual-mode mapping asks about the selected lines", function()
  local dir = tempdir("vis")
  local file = dir .. "/vis.lua"
  vim.fn.writefile({ "local a = 1", "local b = 2", "local c = a + b", "return c" }, file)
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  fs.new()
  local real_input = vim.fn.input
  local asked
  vim.fn.input = function(prompt)
    asked = prompt
    return "What is c?"
  end
  vim.cmd("normal! 2GVj")
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("<Plug>(fireside-ask-selection)", true, false, true), "x", false)
  vim.fn.input = real_input
  wait(120000, function()
    return fs.state.job == nil and buf_text():find("## Fireside", 1, true) ~= nil
  end, "the answer")
  eq(asked, "Ask Fireside about lines 2-3: ")
  local text = buf_text()
  truthy(text:find("What is c?\n(" .. vim.fn.fnamemodify(file, ":.") .. ":2-3)", 1, true), text)
  vim.cmd("bwipeout!")
end)

test(":FiresideStop cancels a running answer; the next question is answered", function()
  fs.new()
  vim.cmd("FiresideAsk Count from one to fifty in words.")
  wait(60000, function()
    local answer = buf_text():match("## Fireside\n\n(.*)$")
    return answer ~= nil and #vim.trim(answer) > 0
  end, "the first tokens")
  vim.cmd("FiresideStop")
  wait(10000, function()
    return fs.state.job == nil
  end, "the stop")
  truthy(buf_text():find("> Stopped.", 1, true), buf_text())
  ask_and_wait("FiresideAsk Say yes.")
  local after = buf_text():match(".*## Fireside\n\n(.*)$")
  truthy(after and vim.trim(after) ~= "" and not after:find("Error", 1, true), buf_text())
end)

local search_dir -- the project the :FiresideSearch test indexes (the files test reuses it)

test(":FiresideSearch fills the quickfix list with path:line hits", function()
  local dir = tempdir("proj")
  vim.fn.mkdir(dir .. "/pkg", "p")
  vim.fn.writefile({
    "import math", "", "", "def circle_area(radius):", '    """Area of a circle."""',
    "    return math.pi * radius ** 2",
  }, dir .. "/pkg/geometry.py")
  vim.fn.writefile({
    "from pkg.geometry import circle_area", "", "", "def report(r):",
    "    return 'area: %.2f' % circle_area(r)",
  }, dir .. "/pkg/report.py")
  vim.cmd("cd " .. vim.fn.fnameescape(dir))
  notes = {}
  local err_seen
  fs.search("circle_area", function(err)
    err_seen = err or false
  end)
  wait(30000, function()
    return err_seen ~= nil
  end, "search on an unindexed folder")
  truthy(err_seen and err_seen:find("not indexed yet", 1, true), tostring(err_seen))
  truthy(notes[#notes].msg:find("FiresideIndex", 1, true), vim.inspect(notes))

  local indexed
  fs.index(function(err, state)
    indexed = { err = err, state = state }
  end)
  wait(180000, function()
    return indexed ~= nil
  end, "indexing")
  eq(indexed.err, nil)
  eq(indexed.state.state, "done")

  local done
  vim.fn.setqflist({}, "r")
  fs.search("circle_area", function(err, items)
    done = { err = err, items = items }
  end)
  wait(60000, function()
    return done ~= nil
  end, "search")
  eq(done.err, nil)
  local qf = vim.fn.getqflist()
  truthy(#qf > 0, "quickfix items")
  local found
  for _, item in ipairs(qf) do
    local name = vim.api.nvim_buf_get_name(item.bufnr)
    if name:sub(-#"pkg/geometry.py") == "pkg/geometry.py" then
      found = item
    end
  end
  truthy(found, vim.inspect(qf))
  truthy(found.lnum >= 1 and found.lnum <= 4, "line " .. found.lnum)
  eq(vim.fn.getqflist({ title = 1 }).title, "Fireside: circle_area")
  truthy(vim.fn.filereadable(vim.api.nvim_buf_get_name(found.bufnr)) == 1, "the hit is a real file")
  vim.cmd("cclose")
  vim.cmd("cd " .. vim.fn.fnameescape(repo))
  search_dir = dir
end)

test(":FiresideSearchFiles fills the quickfix list with one entry per file, best first", function()
  truthy(search_dir, "the :FiresideSearch test indexed a project")
  vim.cmd("cd " .. vim.fn.fnameescape(search_dir))
  local done
  vim.fn.setqflist({}, "r")
  fs.search_files("circle_area", function(err, items)
    done = { err = err, items = items }
  end)
  wait(60000, function()
    return done ~= nil
  end, "file search")
  eq(done.err, nil)
  local qf = vim.fn.getqflist()
  eq(vim.fn.getqflist({ title = 1 }).title, "Fireside files: circle_area")
  truthy(#qf >= 2, vim.inspect(qf))
  local names, geometry = {}, nil
  for i, item in ipairs(qf) do
    local name = vim.api.nvim_buf_get_name(item.bufnr)
    truthy(not names[name], "one entry per file: " .. vim.inspect(qf))
    names[name] = true
    truthy(item.text:find("^#" .. i .. " %d"), item.text)
    if name:sub(-#"pkg/geometry.py") == "pkg/geometry.py" then
      geometry = item
    end
  end
  local function ends_with(name, rel)
    return name:sub(-(#rel + 1)) == "/" .. rel
  end
  local report = false
  for name in pairs(names) do
    report = report or ends_with(name, "pkg/report.py")
  end
  truthy(report, vim.inspect(names))
  truthy(geometry, vim.inspect(qf))
  truthy(geometry.lnum >= 1 and geometry.lnum <= 4, "line " .. geometry.lnum)

  -- the answer as the server sends it: the quickfix follows its order and best chunks
  local raw = assert(http.request_sync("POST", "/api/v1/search",
    { query = "circle_area", k = 10, path = search_dir, files = true }))
  eq(#qf, #raw, vim.inspect(raw))
  for i, f in ipairs(raw) do
    truthy(ends_with(vim.api.nvim_buf_get_name(qf[i].bufnr), f.path), f.path)
    eq(qf[i].lnum, f.chunks[1].start_line)
    truthy(qf[i].text:find(string.format("#%d %.4g", i, f.score), 1, true), qf[i].text)
  end

  -- the command, and M.search's `files` option, do the same
  vim.fn.setqflist({}, "r")
  vim.cmd("FiresideSearchFiles circle_area")
  wait(60000, function()
    return vim.fn.getqflist({ title = 1 }).title == "Fireside files: circle_area"
  end, ":FiresideSearchFiles")
  eq(#vim.fn.getqflist(), #qf)
  local via_opt
  fs.search("circle_area", function(err, items)
    via_opt = { err = err, items = items }
  end, { files = true })
  wait(60000, function()
    return via_opt ~= nil
  end, "search with files = true")
  eq(via_opt.err, nil)
  eq(#via_opt.items, #qf)
  vim.cmd("cclose")
  vim.cmd("cd " .. vim.fn.fnameescape(repo))
end)

test("file results map to one quickfix entry per file at its best chunk", function()
  local items = fs.files_to_qf({
    { path = "b.py", score = 0.5, chunks = {
      { path = "b.py", start_line = 7, end_line = 9, score = 0.5, snippet = "\n  def best():\n" },
      { path = "b.py", start_line = 1, end_line = 2, score = 0.1, snippet = "x" },
    } },
    { path = "../outside.py", score = 0.4, chunks = { { path = "../outside.py", start_line = 1, end_line = 1, snippet = "x" } } },
    { path = "empty.py", score = 0.25, chunks = {} },
    "not a file",
  }, "/root/proj")
  eq(#items, 2)
  eq(items[1].filename, "/root/proj/b.py")
  eq(items[1].lnum, 7)
  eq(items[1].end_lnum, 9)
  eq(items[1].text, "#1 0.5  def best():")
  eq(items[2].filename, "/root/proj/empty.py")
  eq(items[2].lnum, 1)
  eq(items[2].text, "#2 0.25")
end)

test("SSE parsing: events split across callbacks, CRLF, comments", function()
  local p = require("fireside.sse").new()
  eq(#p.feed({ 'event: token', 'data: {"type":"tok' }), 0)
  local got = p.feed({ 'en","text":"a"}\r', "\r", ": keep-alive", "", "data: x", "data: y", "", "" })
  eq(#got, 2)
  eq(got[1].event, "token")
  eq(vim.json.decode(got[1].data).text, "a")
  eq(got[2].data, "x\ny")
  eq(got[2].event, "message")
end)

test("status and curl errors map to what to do", function()
  truthy(http.status_message(503, '{"error":{"message":"queue full"}}', "4"):find("queue full.*try again in 4 s"))
  truthy(http.status_message(421, ""):find("Host check"))
  truthy(http.status_message(401, ""):find("fireside token", 1, true))
  truthy(http.exit_message(7):find("not running", 1, true))
  truthy(http.exit_message(56):find("dropped", 1, true))
end)

test("hits outside the project are left out of the quickfix list", function()
  local items = fs.hits_to_qf({
    { path = "../etc/passwd", start_line = 1, end_line = 1, snippet = "x" },
    { path = "/etc/passwd", start_line = 1, end_line = 1, snippet = "x" },
    { path = "ok.py", start_line = 3, end_line = 5, snippet = "\n  def f():" },
  }, "/root/proj")
  eq(#items, 1)
  eq(items[1].filename, "/root/proj/ok.py")
  eq(items[1].lnum, 3)
  eq(items[1].text, "def f():")
end)

test(":FiresideSessions lists sessions; choosing one continues it", function()
  local sessions = assert(http.request_sync("GET", "/api/v1/sessions"))
  local target
  for _, s in ipairs(sessions.sessions) do
    if s.title:find("hello", 1, true) then
      target = s
    end
  end
  truthy(target, vim.inspect(sessions))
  local offered
  local real_select = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    offered = vim.tbl_map(opts.format_item, items)
    for _, item in ipairs(items) do
      if item.id == target.id then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
  fs.new()
  local opened
  fs.sessions(function(err, session)
    opened = { err = err, session = session }
  end)
  wait(20000, function()
    return opened ~= nil
  end, "the session to open")
  vim.ui.select = real_select
  eq(opened.err, nil)
  truthy(#offered >= 2, vim.inspect(offered))
  eq(fs.state.session_id, target.id)
  local text = buf_text()
  truthy(text:find("# " .. target.title, 1, true), text)
  truthy(text:find("Now say goodbye.", 1, true), text)
  ask_and_wait("FiresideAsk One more word.")
  local data = assert(http.request_sync("GET", "/api/v1/sessions/" .. target.id))
  eq(#data.messages, 6, "the picked session was continued")
end)

test("a wrong token says what to do", function()
  vim.g.fireside_token = "not-the-token"
  fs.new()
  ask_and_wait("FiresideAsk hi")
  vim.g.fireside_token = nil
  truthy(buf_text():find("> Error: Fireside refused the token (401 unauthorized): run `fireside token`", 1, true), buf_text())
end)

test("a server that is not running says to start it", function()
  vim.g.fireside_url = "http://127.0.0.1:9"
  fs.new()
  ask_and_wait("FiresideAsk hi")
  local _, herr = http.request_sync("GET", "/api/v1/health", nil, { auth = false })
  vim.g.fireside_url = url
  truthy(buf_text():find("Fireside is not running at http://127.0.0.1:9: start it with `fireside serve`", 1, true), buf_text())
  truthy(herr and herr:find("not running", 1, true), tostring(herr))
  vim.g.fireside_url = "https://example.com"
  local _, uerr = http.request_sync("GET", "/api/v1/health")
  vim.g.fireside_url = url
  truthy(uerr and uerr:find("must start with http://", 1, true), tostring(uerr))
end)

test("Fireside killed mid-answer: the buffer says the connection dropped", function()
  fs.new()
  vim.cmd("FiresideAsk Count from one to fifty in words.")
  wait(60000, function()
    local answer = buf_text():match("## Fireside\n\n(.*)$")
    return answer ~= nil and #vim.trim(answer) > 0
  end, "the first tokens")
  vim.loop.kill(vim.fn.jobpid(server_job), 9)
  wait(20000, function()
    return fs.state.job == nil
  end, "the stream to end")
  truthy(buf_text():find("> Error: the connection to Fireside dropped", 1, true), buf_text())
end)

-- done ---------------------------------------------------------------------------------------

vim.notify = real_notify
pcall(vim.fn.jobstop, server_job)
vim.fn.jobwait({ server_job }, 10000)
vim.fn.delete(home, "rf")
log(string.format("%d passed, %d failed", results.passed, #results.failed))
finish(#results.failed == 0 and 0 or 1)
