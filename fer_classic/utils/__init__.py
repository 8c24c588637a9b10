"""Small shared helpers (input validation, parallel chunking, classifier scores)."""
