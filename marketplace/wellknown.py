"""Public, machine-readable facts about this installation under /.well-known/."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from ledger.manifest import WELL_KNOWN_PATH

bp = Blueprint("wellknown", __name__)
MAX_AGE_SECONDS = 300


@bp.get(WELL_KNOWN_PATH)
def deployment() -> Response:
    """The deployment manifest that `tradewind verify --deployment` pins a proof bundle to."""
    response = jsonify(current_app.extensions["tradewind"].ctx.manifest.as_json())
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE_SECONDS
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
