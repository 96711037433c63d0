"""Every SMS that reached a gateway, with what became of it and the one reply sent back."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import iso_local, utcnow

OUTCOMES = {"accepted": "Đã nhận báo cáo", "refused": "Sai cú pháp / bị từ chối",
            "unknown_sender": "Số chưa đăng ký", "rate_limited": "Gửi quá nhiều"}


class InboundSms(db.Model):
    __tablename__ = "inbound_sms"
    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of (normalised sender, text, message id): a gateway's retry finds this row.
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(40), index=True)  # normalised: 84912345678
    sender_raw: Mapped[str] = mapped_column(String(40), default="")  # as the gateway gave it
    text: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), default="")
    via: Mapped[str] = mapped_column(String(16), default="api")  # api | capcom6
    gateway_received_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC, as claimed
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)  # server
    outcome: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str] = mapped_column(String(200), default="")
    answer: Mapped[str] = mapped_column(Text, default="{}")  # JSON {"report", "errors"} replayed
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    report_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_versions.id", ondelete="SET NULL"))
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"))

    def as_dict(self) -> dict:
        return {"id": self.id, "sender": self.sender, "text": self.text,
                "message_id": self.message_id, "received_at": iso_local(self.received_at),
                "outcome": self.outcome, "reply": self.reply,
                "commune": self.commune_code, "report_version_id": self.report_version_id}
