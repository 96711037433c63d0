"""JSON API of the relief ledger (contract in api/openapi.json, issue 12)."""
from flask import jsonify, request
from flask import Blueprint
from flask_login import current_user

from ..auth.access import entry_channel, login_required, provincial_required
from ..database import retry_on_conflict, write_transaction
from ..http import json_body
from ..selection import require_event
from .access import reader_pipeline
from .operations import confirm_delivery, create_allocation, record_delivery, record_distribution

bp = Blueprint("relief_api", __name__, url_prefix="/api/v1")


def _created(action):
    """Run the action in one transaction; its row as the answer."""
    with write_transaction():
        answer = action().as_dict()
    return jsonify(answer), 201


@bp.post("/events/<code>/relief/allocations")
@provincial_required
def post_allocation(code):
    event, body = require_event(code), json_body()
    return _created(lambda: create_allocation(current_user, event, body))


@bp.post("/events/<code>/relief/deliveries")
@provincial_required
def post_delivery(code):
    event, body = require_event(code), json_body()
    return _created(lambda: record_delivery(current_user, event, body))


@bp.post("/events/<code>/relief/deliveries/<id:delivery_id>/confirm")
@login_required
def post_confirm(code, delivery_id):
    event = require_event(code)
    answer, _ = _created(lambda: confirm_delivery(current_user, event, delivery_id,
                                                  entry_channel(current_user, "api")))
    return answer, 200


@bp.post("/events/<code>/relief/distributions")
@login_required
def post_distribution(code):
    event, body = require_event(code), json_body()

    def run():
        row, replayed = record_distribution(current_user, event, body,
                                            entry_channel(current_user, "api"))
        return row.as_dict(), replayed

    answer, replayed = retry_on_conflict(run)
    return jsonify(answer), 200 if replayed else 201


@bp.get("/events/<code>/relief")
@login_required
def get_pipeline(code):
    _, pipeline = reader_pipeline(current_user, code, request.args)
    return jsonify(pipeline.as_dict())
