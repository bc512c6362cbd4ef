"""Risk runs: a plan's chance of being on time under sampled seas and closures, as jobs of the
one queue."""
