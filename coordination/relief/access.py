"""What a relief reader sees: the event, date, item and communes of a request.

The one access rule (`commune_scope`): a commune officer reads only its own line
(asking for another commune is 403 `forbidden_scope`); province/admin read all,
optionally narrowed by `commune` or `area`.
"""
from sqlalchemy import select

from ..areas.models import AreaCommune
from ..auth.access import commune_scope
from ..errors import InputError
from ..events import scope_query
from ..selection import resolve
from .operations import ITEMS
from .pipeline import compute, items_of


def pick_item(event, requested: str | None) -> str:
    items = items_of(event)
    item = requested or (items[0] if items else "gao")
    if item not in ITEMS and item not in items:
        raise InputError.one(400, "item", "unknown_item", items=", ".join(ITEMS))
    return item


def reader_pipeline(user, code: str, args):
    """(selection, pipeline) for the request's user and query parameters."""
    selection = resolve(code, args)
    item = pick_item(selection.event, args.get("item"))
    commune = commune_scope(user, args.get("commune"))
    codes = scope_query(selection.event)
    if commune:
        codes = [commune]
    elif selection.area_code:
        codes = select(AreaCommune.commune_code).where(AreaCommune.area_code == selection.area_code)
    return selection, compute(selection.event, item, selection.date, codes)
