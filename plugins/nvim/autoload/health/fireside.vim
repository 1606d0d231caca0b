" :checkhealth fireside on Neovim 0.7 (0.8+ finds lua/fireside/health.lua itself).
function! health#fireside#check() abort
  lua require('fireside.health').check()
endfunction
