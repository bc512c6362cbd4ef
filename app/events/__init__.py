"""Field events: what crews report at voyage stops, checked against the plan and stored once
(Idempotency-Key)."""
