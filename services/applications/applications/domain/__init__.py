"""The applications rules, free of Flask, pika and the database: the request's life
(lifecycle.py), its numbers (numbers.py) and who may see it (access.py)."""
