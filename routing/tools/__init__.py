"""Tools off the path to a plan: the dataset build and the coast check."""
