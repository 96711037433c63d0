"""Service settings kept as key/value rows (the agency block of official documents).

A key without a row has its default, so a fresh database needs no seed and a
new key added later works at once. Administrators change them on
/admin/settings (`update_settings`, an operation: validates, flushes, never commits).
"""
from dataclasses import dataclass

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .errors import Problems
from .extensions import db


class Setting(db.Model):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    default: str
    help: str = ""
    multiline: bool = False
    required: bool = True
    max_length: int = 200


SPECS = [
    SettingSpec("agency_parent", "Cơ quan chủ quản", "UBND TỈNH LẠNG SƠN",
                "Dòng trên của khối tên cơ quan (chữ in hoa, không đậm).", required=False),
    SettingSpec("agency_name", "Cơ quan ban hành", "BAN CHỈ HUY PHÒNG THỦ DÂN SỰ TỈNH",
                "Dòng dưới, in đậm; xuống dòng được bằng Enter.", multiline=True),
    SettingSpec("document_number", "Số, ký hiệu văn bản", "/BC-BCH",
                "In sau “Số: ”. Bắt đầu bằng “/” thì chừa chỗ trống để điền số khi ký "
                "(“Số:      /BC-BCH”); {nam} được thay bằng năm của báo cáo."),
    SettingSpec("place_name", "Địa danh", "Lạng Sơn",
                "In trước ngày tháng: “Lạng Sơn, ngày … tháng … năm …”."),
    SettingSpec("signer_authority", "Quyền hạn ký", "KT. TRƯỞNG BAN",
                "Ví dụ “TM. BAN CHỈ HUY”, “KT. TRƯỞNG BAN”; để trống nếu người đứng đầu ký.",
                required=False),
    SettingSpec("signer_title", "Chức vụ người ký", "PHÓ TRƯỞNG BAN"),
    SettingSpec("signer_name", "Họ và tên người ký", "",
                "Để trống khi chưa xác định người ký.", required=False),
    SettingSpec("recipients", "Nơi nhận",
                "Ban Chỉ đạo PCTT Trung ương (b/c);\nThường trực Tỉnh ủy (b/c);\n"
                "Thường trực HĐND tỉnh (b/c);\nChủ tịch, các PCT UBND tỉnh;\n"
                "Sở Nông nghiệp và Môi trường;\nLưu: VT.",
                "Mỗi dòng một nơi nhận (không cần gạch đầu dòng).", multiline=True,
                max_length=2000),
]
BY_KEY = {s.key: s for s in SPECS}


def get_settings() -> dict[str, str]:
    """Every setting: the stored value, else its default."""
    stored = dict(db.session.execute(select(Setting.key, Setting.value)).all())
    return {s.key: stored.get(s.key, s.default) for s in SPECS}


def update_settings(data) -> dict[str, str]:
    """Store the submitted values (all fields at once); returns the settings now in force."""
    problems = Problems()
    values = {}
    for spec in SPECS:
        value = str(data.get(spec.key) or "").replace("\r\n", "\n").strip()
        if spec.required and not value:
            problems.add(spec.key, "required")
        elif len(value) > spec.max_length:
            problems.add(spec.key, "too_long")
        values[spec.key] = value
    problems.raise_if_any(422)
    existing = {s.key: s for s in db.session.scalars(select(Setting))}
    for key, value in values.items():
        if key in existing:
            existing[key].value = value
        else:
            db.session.add(Setting(key=key, value=value))
    db.session.flush()
    return get_settings()
