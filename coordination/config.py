"""Configuration from the environment, with safe defaults for the embedded set-up."""
import os
import secrets
from pathlib import Path


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the old driver; we ship psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return "sqlite:///" + str(Path(instance_path) / "coordination.sqlite")


def load(instance_path: str) -> dict:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Ho_Chi_Minh"),
        # Tile URL template for maps; empty means no tiles (polygons are the map).
        "MAP_TILES": os.environ.get("MAP_TILES", ""),
        "MAP_TILES_ATTRIBUTION": os.environ.get(
            "MAP_TILES_ATTRIBUTION", "&copy; OpenStreetMap contributors"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "25")),
        "SMTP_FROM": os.environ.get("SMTP_FROM", "pctt@localhost"),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        # Outbox channels besides in-app ("sms", "zalo": a gateway polls /api/v1/notifications);
        # "email" is added when SMTP_HOST is set.
        "REMINDER_CHANNELS": os.environ.get("REMINDER_CHANNELS", "sms"),
        # A deadline job missed while the scheduler was down still runs within this window.
        "DEADLINE_MISFIRE_HOURS": int(os.environ.get("DEADLINE_MISFIRE_HOURS", "6")),
        "DEADLINE_RECONCILE_MINUTES": int(os.environ.get("DEADLINE_RECONCILE_MINUTES", "5")),
        # Relief: per-person norm by item ("gao=15": 15 kg of rice per person), ±tolerance,
        # and days of stock held without distribution before it is flagged.
        "RELIEF_NORMS": os.environ.get("RELIEF_NORMS", "gao=15"),
        "RELIEF_NORM_TOLERANCE": float(os.environ.get("RELIEF_NORM_TOLERANCE", "0.2")),
        "RELIEF_IDLE_DAYS": int(os.environ.get("RELIEF_IDLE_DAYS", "3")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # a phone form may stay open for hours
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        # SMS reports (coordination/sms, docs/sms.md)
        "SMS_GATEWAY_NUMBER": os.environ.get("SMS_GATEWAY_NUMBER", ""),  # printed on the card
        "SMS_RATE_LIMIT_PER_HOUR": int(os.environ.get("SMS_RATE_LIMIT_PER_HOUR", "10")),
        "SMS_WEBHOOK_SIGNING_KEY": os.environ.get("SMS_WEBHOOK_SIGNING_KEY", ""),
        "SMS_WEBHOOK_MAX_AGE_SECONDS": int(os.environ.get("SMS_WEBHOOK_MAX_AGE_SECONDS", "300")),
        # capcom6 gateway API for sending replies (empty: a gateway polls /api/v1/notifications)
        "SMS_GATEWAY_API_URL": os.environ.get("SMS_GATEWAY_API_URL", ""),
        "SMS_GATEWAY_LOGIN": os.environ.get("SMS_GATEWAY_LOGIN", ""),
        "SMS_GATEWAY_PASSWORD": os.environ.get("SMS_GATEWAY_PASSWORD", ""),
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_WINDOW_MINUTES": 15,
        # hardening
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # Failed log-ins from one address within the window before it must wait.
        "LOGIN_MAX_FAILURES_PER_ADDRESS": int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "20")),
        # Longest wait imposed on an account after repeated failed log-ins (doubling from 1 s).
        "LOGIN_MAX_DELAY_SECONDS": int(os.environ.get("LOGIN_MAX_DELAY_SECONDS", "30")),
        # API tokens expire this many days after they are issued.
        "API_TOKEN_DAYS": int(os.environ.get("API_TOKEN_DAYS", "90")),
        # The long export covers at most this many days per request.
        "LONG_EXPORT_MAX_DAYS": int(os.environ.get("LONG_EXPORT_MAX_DAYS", "366")),
        # backups (coordination/backup, docs/operations.md)
        "BACKUP_DIR": os.environ.get("BACKUP_DIR", str(Path(instance_path) / "backups")),
        "BACKUP_TIME": os.environ.get("BACKUP_TIME", "02:30"),  # local time (TIMEZONE), daily
        "BACKUP_KEEP_DAILY": int(os.environ.get("BACKUP_KEEP_DAILY", "14")),
        "BACKUP_KEEP_WEEKLY": int(os.environ.get("BACKUP_KEEP_WEEKLY", "8")),
        # A daily backup the scheduler could not start on time still starts within this window.
        "BACKUP_MISFIRE_HOURS": int(os.environ.get("BACKUP_MISFIRE_HOURS", "6")),
        # Folder of pg_dump/pg_restore matching the server's major version (empty: from PATH).
        "BACKUP_PG_BIN": os.environ.get("BACKUP_PG_BIN", ""),
    }
