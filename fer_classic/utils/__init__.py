"""Small shared helpers (input validation, parallel chunking)."""
