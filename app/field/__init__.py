"""The field page for vessel crews and the voyage it reads (a field key's vessel and plan)."""
