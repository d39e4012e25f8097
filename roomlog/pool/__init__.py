"""``/pool/``: the ministry's pool — overview, decisions, payments, decision letters — and cost next to activity."""
