"""Local GGUF models: find them where they are, describe them from their headers, pull new
ones safely, and check they fit in memory. Nothing here loads a model or, except
:mod:`providers.localmodels.pull` and :mod:`providers.localmodels.hub` (used only by
``fireside models pull``), touches the network.

Modules: ``gguf_header`` (read_header), ``sources`` (where each store keeps its files),
``discovery`` (discover, find_model, model_files), ``memory`` (check_memory, estimate),
``hub`` (plan_pull), ``pull`` (pull, download), ``pulled`` (the record ``models rm`` uses),
``suggested`` (the packaged catalog). Nothing is imported here: import the module you need.
"""
