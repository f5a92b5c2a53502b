"""The ceiling for `bench/web.py`: a bare Flask app that reads one listing by primary key from the same
database, with the app's engine settings, and answers it as JSON. `gunicorn bench.bare:app` (DATABASE_URL)."""

from __future__ import annotations

import os

from flask import Flask, abort, jsonify
from sqlalchemy import text

from marketplace.db import Database

database = Database(os.environ["DATABASE_URL"])
app = Flask(__name__)
ROW = text("SELECT id, sku, hs_code, origin, moq, currency, price_minor, status FROM listings WHERE id = :id")


@app.get("/listing/<int:listing_id>")
def listing(listing_id: int):  # type: ignore[no-untyped-def]
    with database.engine.connect() as conn:
        row = conn.execute(ROW, {"id": listing_id}).mappings().first()
    if row is None:
        abort(404)
    return jsonify(dict(row))
