-- Server-sent events parsing, fed line by line (curl's output as jobstart delivers it).
local M = {}

--- A parser: `feed(lines)` with the lines of a job's stdout callback (the last element of
--- each callback's list is a partial line, continued by the next callback's first element).
function M.new()
  local self = { partial = "", data = {}, event = "" }

  local function line(l, out)
    l = l:gsub("\r$", "")
    if l == "" then
      if #self.data > 0 then
        table.insert(out, { event = self.event ~= "" and self.event or "message", data = table.concat(self.data, "\n") })
      end
      self.data, self.event = {}, ""
      return
    end
    if l:sub(1, 1) == ":" then
      return
    end
    local field, value = l:match("^([^:]*):?%s?(.*)$")
    if field == "data" then
      table.insert(self.data, value)
    elseif field == "event" then
      self.event = value
    end
  end

  --- Returns the complete messages in `chunks` (a jobstart on_stdout data list).
  function self.feed(chunks)
    local out = {}
    for i, chunk in ipairs(chunks) do
      if i == 1 then
        chunk = self.partial .. chunk
      end
      if i == #chunks then
        self.partial = chunk
      else
        line(chunk, out)
      end
    end
    return out
  end

  return self
end

return M
