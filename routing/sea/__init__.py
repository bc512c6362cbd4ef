"""The sea: geometry, the navigable-water graph, the network cache and matrices, weather's
closures."""
