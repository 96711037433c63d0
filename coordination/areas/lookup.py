"""Find current communes by current or former (pre-2025) name or code."""
import unicodedata

from sqlalchemy import select

from ..extensions import db
from .models import Area, AreaCommune, Commune, FormerCommune


def fold(text: str) -> str:
    """Lower-case without Vietnamese diacritics, so 'Thất Khê' matches 'that khe'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").lower().strip()


def search_communes(query: str, limit: int = 20) -> list[dict]:
    """Communes whose code or (current or former) name contains the query, accent-insensitive."""
    q = fold(query)
    if not q:
        return []
    out: dict[str, dict] = {}
    for c in db.session.scalars(select(Commune).order_by(Commune.code)):
        if q == c.code or q in fold(c.name):
            out[c.code] = {"code": c.code, "name": c.name, "matched_former": None}
    for f in db.session.scalars(select(FormerCommune).order_by(FormerCommune.new_code)):
        if f.new_code not in out and (q == f.old_code or q in fold(f.old_name)):
            commune = db.session.get(Commune, f.new_code)
            out[f.new_code] = {"code": commune.code, "name": commune.name,
                               "matched_former": f"{f.old_name} ({f.old_district_name})"}
    return list(out.values())[:limit]


def area_codes(area_code: str) -> list[str]:
    """Member commune codes of a named area."""
    return list(db.session.scalars(
        select(AreaCommune.commune_code).where(AreaCommune.area_code == area_code)
        .order_by(AreaCommune.commune_code)))


def all_areas() -> list[Area]:
    """Named areas for a scope picker, by name."""
    return list(db.session.scalars(select(Area).order_by(Area.name)))
