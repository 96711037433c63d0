"""Pages: every inbound SMS (admins), and the printable SMS card of a commune.

Access: the inbound list is for administrators only; a commune officer sees only the
card of their own commune (the one access rule, `commune_scope`), province and admin
staff any commune's card.
"""
from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..areas.models import Commune
from ..auth.access import admin_required, commune_scope, login_required
from ..extensions import db
from ..indicators import Indicator, grouped
from ..reports.aggregation import latest_figures
from ..timeutil import local_today
from .card_pdf import write_card_pdf
from .models import OUTCOMES, InboundSms
from .parser import format_sms

bp = Blueprint("sms", __name__)
PAGE = 100


@bp.get("/admin/sms")
@admin_required
def inbound_list():
    outcome = request.args.get("outcome", "")
    query = select(InboundSms).order_by(InboundSms.id.desc()).limit(PAGE)
    if outcome in OUTCOMES:
        query = query.where(InboundSms.outcome == outcome)
    rows = list(db.session.scalars(query))
    communes = db.session.execute(select(Commune.code, Commune.name).order_by(Commune.name)).all()
    return render_template("sms/inbound.html", rows=rows, outcomes=OUTCOMES, outcome=outcome,
                           names=dict(communes), communes=communes, page=PAGE)


def last_report_example(commune_code: str, indicators: list[Indicator]) -> str:
    """The SMS that would repeat the commune's latest report (today's date), else a sample."""
    codes = {i.code: i.sms_code for i in indicators if i.sms_code}
    figures = latest_figures(commune_code)
    order = [i.code for i in indicators]
    values = {codes[c]: figures[c] for c in order if c in figures and c in codes}
    if not values:
        values = {codes[c]: 0 for c in order if c in codes}
        values = dict(list(values.items())[:4])
    text = format_sms(values, local_today())
    while len(text) > 160 and len(values) > 1:
        values.popitem()
        text = format_sms(values, local_today())
    return text


def _card(code):
    code = commune_scope(current_user, code)
    if code is None:
        code = request.args.get("commune") or ""
    commune = db.get_or_404(Commune, code)
    indicators = [i for i in db.session.scalars(select(Indicator).where(
        Indicator.is_active, Indicator.sms_code.is_not(None))
        .order_by(Indicator.group_order, Indicator.position, Indicator.code))]
    return dict(commune=commune, groups=grouped(indicators),
                example=last_report_example(commune.code, indicators),
                number=current_app.config["SMS_GATEWAY_NUMBER"])


@bp.get("/sms/card")
@bp.get("/sms/card/<code>")
@login_required
def card(code=None):
    """Hướng dẫn nhắn tin báo cáo: one printable page for a commune."""
    return render_template("sms/card.html", **_card(code))


@bp.get("/sms/card/<code>.pdf")
@login_required
def card_pdf(code):
    """The same card as a one-page A4 PDF."""
    context = _card(code)
    body = write_card_pdf(context["commune"].name, context["number"], context["example"],
                          context["groups"])
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="the-sms-{context["commune"].code}.pdf"'})
