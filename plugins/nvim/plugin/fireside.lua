-- Fireside commands (Neovim 0.7+; needs curl). See plugins/README.md.
if vim.g.loaded_fireside then
  return
end
vim.g.loaded_fireside = true

local function fs()
  return require("fireside")
end

vim.api.nvim_create_user_command("FiresideAsk", function(opts)
  if opts.range > 0 then
    fs().ask(opts.args, opts.line1, opts.line2)
  else
    fs().ask(opts.args)
  end
end, { nargs = "*", range = true, desc = "Ask Fireside (with a range: about those lines)" })

vim.api.nvim_create_user_command("FiresideStop", function()
  fs().stop()
end, { desc = "Stop Fireside's answer" })

vim.api.nvim_create_user_command("FiresideNew", function()
  fs().new()
end, { desc = "Start a new Fireside session" })

vim.api.nvim_create_user_command("FiresideSearch", function(opts)
  fs().search(opts.args)
end, { nargs = "+", desc = "Search the indexed codebase into the quickfix list" })

vim.api.nvim_create_user_command("FiresideSearchFiles", function(opts)
  fs().search_files(opts.args)
end, { nargs = "+", desc = "Search the indexed codebase by file (one quickfix entry per file)" })

vim.api.nvim_create_user_command("FiresideIndex", function()
  fs().index()
end, { desc = "Index (or refresh) the current project" })

vim.api.nvim_create_user_command("FiresideSessions", function()
  fs().sessions()
end, { desc = "Pick a Fireside session to continue" })

vim.keymap.set("x", "<Plug>(fireside-ask-selection)", function()
  -- leave visual mode so '< and '> are set, then ask
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("<Esc>", true, false, true), "nx", false)
  fs().ask_selection()
end, { desc = "Ask Fireside about the selection" })

if not vim.g.fireside_no_mappings then
  vim.keymap.set("x", "<Leader>fa", "<Plug>(fireside-ask-selection)", { remap = true })
end
