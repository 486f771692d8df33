"""Billing's rules, free of Flask, SQLAlchemy and pika: each module holds one rule of docs/rules.md."""
