"""The read bench's baseline: a Flask JSON endpoint with nothing of ours, served by gunicorn with
the same settings as the services' web processes (bench/read.py)."""

from flask import Flask, jsonify

app = Flask("bare")


@app.get("/status")
def status():
    return jsonify(number="MR-2026-000001", status="draft", updated_at="2026-01-01T00:00:00Z")
