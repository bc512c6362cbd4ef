"""The one job queue: plans, capacity plans, re-plans and risk runs with leases and heartbeats
(queue), the work each job does (work), and the runner that claims them on local processes or
Dask (runner)."""
