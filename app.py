"""Entry point for `flask --app app ...` and WSGI servers."""
from coordination import create_app

app = create_app()
