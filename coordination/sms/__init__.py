"""Reports by SMS when the data network is down (issue 11): parser, gateway entry points,
the inbound log, replies through the outbox, and the printable SMS card."""
from flask import Flask

from ..extensions import csrf
from .models import InboundSms  # noqa: F401 (create_all, migrations)


def register(app: Flask) -> None:
    """Register this feature's blueprints, CLI commands and scheduler job."""
    from .api import bp as api_bp
    from .cli import sms
    from .outbox import sms_job
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer token or webhook signature, not cookies
    app.cli.add_command(sms)
    # Picked up by deadlines/scheduler.build(): (job, every N minutes); no-op unless configured.
    app.extensions.setdefault("scheduler_jobs", {})["sms-send"] = (sms_job, 1)
