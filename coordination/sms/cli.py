"""`flask --app app sms send` drains the SMS outbox through the capcom6 gateway once."""
import click

from ..errors import message
from .outbox import deliver_sms

sms = click.Group("sms", help="Báo cáo qua SMS: gửi tin trả lời qua cổng SMS.")


@sms.command("send")
def send():
    """Send pending SMS (replies, reminders) through SMS_GATEWAY_API_URL."""
    from flask import current_app

    if not current_app.config.get("SMS_GATEWAY_API_URL"):
        raise click.ClickException(message("sms_gateway_off"))
    result = deliver_sms()
    click.echo(f"Đã gửi {result['sent']}, lỗi {result['failed']}.")
