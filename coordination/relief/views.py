"""Pages of the relief ledger: the pipeline board, the three entry forms, the map
image and the exports. Each POST is a call of one operation in write_transaction()."""
import uuid

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..areas.models import Commune
from ..auth.access import (commune_scope, entry_channel, login_required, own_commune,
                           provincial_required)
from ..database import retry_on_conflict, write_transaction
from ..errors import InputError, message
from ..events import Event, scope_query
from ..extensions import db
from ..formatting import vn_number
from ..selection import require_event
from ..timeutil import local_today
from .access import pick_item, reader_pipeline
from .models import ReliefAllocation, ReliefDelivery, ReliefDistribution
from .operations import (ITEMS, UNITS, confirm_delivery, create_allocation, record_delivery,
                         record_distribution)
from .pipeline import FLAGS, items_of

bp = Blueprint("relief", __name__)


def _scope_communes(event: Event) -> list[Commune]:
    return list(db.session.scalars(select(Commune).where(Commune.code.in_(scope_query(event)))
                                   .order_by(Commune.code)))


def _ledger_rows(event: Event, item: str, commune: str | None):
    def narrowed(query, model):
        query = query.where(model.event_id == event.id, model.item == item)
        return query.where(model.commune_code == commune) if commune else query

    allocations = list(db.session.scalars(
        select(ReliefAllocation).where(ReliefAllocation.event_id == event.id,
                                       ReliefAllocation.item == item)
        .order_by(ReliefAllocation.decision_date, ReliefAllocation.id)))
    deliveries = list(db.session.scalars(narrowed(select(ReliefDelivery), ReliefDelivery)
                                         .order_by(ReliefDelivery.delivered_on.desc(),
                                                   ReliefDelivery.id.desc()).limit(200)))
    distributions = list(db.session.scalars(narrowed(select(ReliefDistribution),
                                                     ReliefDistribution)
                                            .order_by(ReliefDistribution.distributed_on.desc(),
                                                      ReliefDistribution.id.desc()).limit(200)))
    return allocations, deliveries, distributions


@bp.get("/events/<code>/relief")
@login_required
def board(code):
    selection, pipeline = reader_pipeline(current_user, code, request.args)
    own = own_commune(current_user)
    allocations, deliveries, distributions = _ledger_rows(selection.event, pipeline.item, own)
    names = dict(db.session.execute(select(Commune.code, Commune.name)).all())
    return render_template("relief/board.html", event=selection.event, day=selection.date,
                           pipeline=pipeline, totals=pipeline.totals, FLAGS=FLAGS,
                           items=items_of(selection.event) or ["gao"], ITEMS=ITEMS,
                           allocations=allocations if not own else [], deliveries=deliveries,
                           distributions=distributions, names=names, own=own,
                           map_args={k: v for k, v in request.args.items()
                                     if k in ("date", "item", "area", "commune")})


def _form_page(template: str, event: Event, errors=None, form=None, status=200, **extra):
    return render_template(template, event=event, errors=errors or {}, form=form or {},
                           ITEMS=ITEMS, UNITS=UNITS, today=local_today(), **extra), status


def _posted() -> dict:
    data = request.form.to_dict()
    data.pop("csrf_token", None)
    return data


def _save(event: Event, template: str, run, form, fields_of=None, **page):
    """Run a form's operation; `run` returns (item, notice). Bad input shows the form again
    (422) with each message beside its field (`fields_of` maps the operation's field names
    to the form's); otherwise back to the board with the notice."""
    try:
        item, notice = run()
    except InputError as exc:
        if exc.status != 422:
            raise
        errors = {(fields_of(f) if fields_of else f): text for f, text in exc.messages.items()}
        return _form_page(template, event, errors, form, 422, **page)
    flash(notice, "success")
    return redirect(url_for(".board", code=event.code, item=item))


@bp.route("/events/<code>/relief/allocations/new", methods=["GET", "POST"])
@provincial_required
def allocation_form(code):
    event = require_event(code)
    communes = _scope_communes(event)
    if request.method == "GET":
        return _form_page("relief/allocation_form.html", event, communes=communes,
                          form={"item": "gao", "unit": "kg"})
    form = request.form
    order = [c.code for c in communes if form.get(f"q_{c.code}", "").strip()]
    data = {k: form.get(k, "") for k in ("decision_no", "decision_date", "item", "unit", "deadline")}
    data["lines"] = [{"commune": c, "quantity": form.get(f"q_{c}")} for c in order]

    def run():
        with write_transaction():
            allocation = create_allocation(current_user, event, data)
            return allocation.item, message(
                "allocation_saved", decision=data["decision_no"], communes=len(order),
                total=vn_number(allocation.total), unit=data["unit"])

    def line_field(field: str) -> str:  # lines.3.quantity → the commune's own input
        parts = field.split(".")
        return f"q_{order[int(parts[1])]}" if parts[0] == "lines" and len(parts) == 3 else field

    return _save(event, "relief/allocation_form.html", run, form, line_field, communes=communes,
                 line_labels={f"q_{c.code}": c.name for c in communes})


@bp.route("/events/<code>/relief/deliveries/new", methods=["GET", "POST"])
@provincial_required
def delivery_form(code):
    event = require_event(code)
    communes = _scope_communes(event)
    if request.method == "GET":
        return _form_page("relief/delivery_form.html", event, communes=communes,
                          form={"item": request.args.get("item", "gao"),
                                "commune": request.args.get("commune", ""),
                                "date": local_today().isoformat()})
    data = _posted()

    def run():
        with write_transaction():
            return record_delivery(current_user, event, data).item, message("delivery_saved")

    return _save(event, "relief/delivery_form.html", run, request.form, communes=communes)


@bp.post("/events/<code>/relief/deliveries/<id:delivery_id>/confirm")
@login_required
def confirm(code, delivery_id):
    event = require_event(code)
    with write_transaction():
        item = confirm_delivery(current_user, event, delivery_id,
                                entry_channel(current_user, "web")).item
    flash(message("delivery_confirmed"), "success")
    return redirect(url_for(".board", code=code, item=item))


@bp.route("/events/<code>/relief/distributions/new", methods=["GET", "POST"])
@login_required
def distribution_form(code):
    event = require_event(code)
    own = own_commune(current_user)
    communes = [db.session.get(Commune, own)] if own else _scope_communes(event)
    if request.method == "GET":
        return _form_page("relief/distribution_form.html", event, communes=communes,
                          form={"item": request.args.get("item", "gao"),
                                "commune": request.args.get("commune", communes[0].code),
                                "date": local_today().isoformat()},
                          submission_id=str(uuid.uuid4()))
    data = _posted()
    if own:
        data["commune"] = own
    channel = entry_channel(current_user, "web")

    def run():
        item = retry_on_conflict(
            lambda: record_distribution(current_user, event, data, channel)[0].item)
        return item, message("distribution_saved", village=data.get("village", "").strip())

    return _save(event, "relief/distribution_form.html", run, data, communes=communes,
                 submission_id=data.get("submission_id"))


@bp.get("/events/<code>/relief/map.png")
@login_required
def map_png(code):
    from .mapping import render_share_png

    selection, pipeline = reader_pipeline(current_user, code, request.args)
    png = render_share_png(selection, pipeline)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=60"})


@bp.get("/events/<code>/relief/export.xlsx")
@login_required
def export_xlsx(code):
    from .exports import ledger_xlsx

    selection, pipeline = reader_pipeline(current_user, code, request.args)
    own = commune_scope(current_user, request.args.get("commune"))
    body = ledger_xlsx(selection.event, pipeline, own)
    name = f"cuu-tro-{selection.event.code}-{pipeline.item}-{selection.date.isoformat()}.xlsx"
    return Response(body, headers={"Content-Disposition": f'attachment; filename="{name}"'},
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/events/<code>/relief/<commune>/posting.pdf")
@login_required
def posting_pdf(code, commune):
    from .exports import posting_pdf as make_pdf

    event = require_event(code)
    commune_scope(current_user, commune)
    found = db.session.get(Commune, commune)
    if found is None:
        abort(404)
    item = pick_item(event, request.args.get("item"))
    body = make_pdf(event, found, item)
    name = f"niem-yet-{event.code}-{commune}-{item}.pdf"
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
