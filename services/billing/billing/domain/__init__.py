"""Billing's rules, free of Flask, SQLAlchemy and pika: each module names one rule of DESIGN.md section 4."""
