"""Daily damage reports: submission, validation, versions, aggregation."""
from .views import bp  # noqa: F401
