"""The ceiling for `POST /api/v1/reports`: a bare Flask + Flask-SQLAlchemy endpoint that
stores one JSON row per request and nothing else (no auth, no validation, no versions).

    DATABASE_URL=... gunicorn -w 2 --threads 4 bench.ceiling:app   (bench/submissions.py runs it)

Same engine settings that matter as the app's: SQLite in WAL mode with a busy timeout.
"""
import json
import os

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)


class Row(db.Model):
    __tablename__ = "ceiling_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str]


with app.app_context():
    if db.engine.dialect.name == "sqlite":
        @event.listens_for(db.engine, "connect")
        def _pragmas(connection, _record):
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=30000")
    db.create_all()
    db.engine.dispose()


@app.post("/rows")
def insert_row():
    row = Row(body=json.dumps(request.get_json()))
    db.session.add(row)
    db.session.commit()
    return jsonify(id=row.id), 201
