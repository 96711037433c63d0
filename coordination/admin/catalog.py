"""Adding and retiring indicators of the damage catalog."""
import re

from sqlalchemy import func, select

from ..errors import InputError, message
from ..extensions import db
from ..indicators import Indicator

CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
HXL = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*$")
NEW_GROUP = "__new__"
SMS_CODE = re.compile(r"^[A-Za-z]{2,3}$")
SMS_RESERVED = {"BC", "LD"}  # the SMS keyword and the correction-reason token


def sms_code_problem(raw: str, indicator_code: str | None) -> tuple[str | None, str | None]:
    """(normalised code or None for "no SMS code", error code or None)."""
    code = (raw or "").strip().upper()
    if not code:
        return None, None
    if not SMS_CODE.match(code):
        return None, "bad_sms_code"
    if code in SMS_RESERVED:
        return code, "sms_code_reserved"
    holder = db.session.scalar(select(Indicator.code).where(Indicator.sms_code == code))
    if holder is not None and holder != indicator_code:
        return code, "sms_code_exists"
    return code, None


def set_sms_code(indicator: Indicator, raw: str) -> None:
    """An admin gives an indicator its SMS code (2–3 letters, unique), or clears it."""
    code, problem = sms_code_problem(raw, indicator.code)
    if problem:
        raise InputError(422, {"sms_code": problem}, {"sms_code": message(problem, value=code)})
    indicator.sms_code = code


def catalog_groups() -> list[tuple[str, str, int]]:
    """(group_code, group_label, group_order) in catalog order."""
    return list(db.session.execute(
        select(Indicator.group_code, Indicator.group_label, func.min(Indicator.group_order))
        .group_by(Indicator.group_code, Indicator.group_label)
        .order_by(func.min(Indicator.group_order))).all())


def _group(form, errors: dict) -> tuple[str, str, int]:
    groups = {code: (code, label, order) for code, label, order in catalog_groups()}
    chosen = form.get("group", "")
    if chosen in groups:
        return groups[chosen]
    if chosen != NEW_GROUP:
        errors["group"] = "Chọn nhóm chỉ tiêu."
        return "", "", 0
    label = form.get("group_label", "").strip()
    code = form.get("group_code", "").strip()
    if not label:
        errors["group_label"] = "Nhập tên nhóm mới."
    if not CODE.match(code):
        errors["group_code"] = "Mã nhóm: chữ thường không dấu, số, dấu _ (ví dụ: moi_truong)."
    elif code in groups:
        errors["group_code"] = "Mã nhóm đã có; chọn nhóm đó trong danh sách."
    order = max((o for _, _, o in groups.values()), default=0) + 1
    return code, label, order


def _position(text: str, errors: dict) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        errors["position"] = "Thứ tự phải là số nguyên."
        return None


def indicator_from_form(form) -> Indicator:
    errors = {}
    code = form.get("code", "").strip()
    if not CODE.match(code):
        errors["code"] = "Mã: chữ thường không dấu, số, dấu _ (ví dụ: boats_lost)."
    elif db.session.get(Indicator, code):
        errors["code"] = f"Mã '{code}' đã có trong danh mục."
    label, unit = form.get("label", "").strip(), form.get("unit", "").strip()
    if not label or len(label) > 200:
        errors["label"] = "Nhập tên chỉ tiêu (tối đa 200 ký tự)."
    if not unit or len(unit) > 40:
        errors["unit"] = "Nhập đơn vị tính (ví dụ: chiếc, ha, m)."
    hxl = " ".join(form.get("hxl", "").split())
    if hxl and not HXL.match(hxl):
        errors["hxl"] = "Thẻ HXL dạng #tag+thuoc_tinh (ví dụ: #affected+boats)."
    sms_code, sms_problem = sms_code_problem(form.get("sms_code", ""), None)
    if sms_problem:
        errors["sms_code"] = message(sms_problem, value=sms_code)
    group_code, group_label, group_order = _group(form, errors)
    position = _position(form.get("position", ""), errors)
    if errors:
        raise InputError(422, {k: "invalid" for k in errors}, errors)
    if position is None:  # after the group's last indicator
        position = (db.session.scalar(select(func.max(Indicator.position))
                                      .where(Indicator.group_code == group_code)) or 0) + 1
    indicator = Indicator(code=code, label=label, unit=unit, group_code=group_code,
                          group_label=group_label, group_order=group_order, position=position,
                          hxl=hxl, whole_number=bool(form.get("whole_number")), is_active=True,
                          sms_code=sms_code)
    db.session.add(indicator)
    return indicator


def all_indicators() -> list[Indicator]:
    return list(db.session.scalars(select(Indicator).order_by(
        Indicator.group_order, Indicator.position, Indicator.code)))
