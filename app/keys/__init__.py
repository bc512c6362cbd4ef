"""API keys: roles, expiry, revocation, and field keys bound to a vessel and a plan."""
