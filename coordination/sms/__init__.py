"""Reports by SMS when the data network is down (issue 11): parser, gateway entry points,
the inbound log, replies through the outbox, and the printable SMS card."""
from flask import Flask

from .models import InboundSms  # noqa: F401 (create_all, migrations)


def register(app: Flask) -> None:
    """Register this feature's blueprints, CLI commands and scheduler job."""
    from ..web import add_feature
    from .api import bp as api_bp
    from .cli import sms
    from .outbox import sms_job
    from .views import bp

    add_feature(app, bp, api_bp, commands=(sms,))  # bearer token or webhook signature
    # Picked up by deadlines/scheduler.build(): (job, every N minutes); no-op unless configured.
    app.extensions.setdefault("scheduler_jobs", {})["sms-send"] = (sms_job, 1)
