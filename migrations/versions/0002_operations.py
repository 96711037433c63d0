"""one deadline per event (its daily schedule), unique active schedules, report channel,
captured_at, no_damage and carried-forward figures

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Every event gets the daily schedule its deadline column described, then the column goes:
    # the schedule is the one source of an event's deadline.
    op.execute("""
        INSERT INTO reporting_schedules (event_id, kind, deadline, due_day, reminder_times,
                                         programme, starts_on, active, created_at)
        SELECT e.id, 'daily', e.deadline, 0, '10:00,13:00', '', e.start_date, e.closed_at IS NULL,
               e.created_at
        FROM events e
        WHERE NOT EXISTS (SELECT 1 FROM reporting_schedules s
                          WHERE s.event_id = e.id AND s.kind = 'daily')""")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("deadline")

    # Identical active schedules remind twice: keep the oldest active, pause the others.
    op.execute("UPDATE reporting_schedules SET due_day = 0 WHERE due_day IS NULL")
    op.execute("""
        UPDATE reporting_schedules SET active = false
        WHERE active AND id NOT IN (
            SELECT min(id) FROM reporting_schedules WHERE active
            GROUP BY event_id, kind, deadline, due_day, programme)""")
    with op.batch_alter_table("reporting_schedules") as batch:
        batch.alter_column("due_day", existing_type=sa.Integer(), nullable=False)
    op.create_index("uq_reporting_schedules_active", "reporting_schedules",
                    ["event_id", "kind", "deadline", "due_day", "programme"], unique=True,
                    sqlite_where=sa.text("active"), postgresql_where=sa.text("active"))

    with op.batch_alter_table("report_versions") as batch:
        batch.alter_column("source", new_column_name="channel",
                           existing_type=sa.String(length=16), existing_nullable=False)
        batch.add_column(sa.Column("captured_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("no_damage", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("report_figures") as batch:
        batch.add_column(sa.Column("carried", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("report_figures") as batch:
        batch.drop_column("carried")
    with op.batch_alter_table("report_versions") as batch:
        batch.drop_column("no_damage")
        batch.drop_column("captured_at")
        batch.alter_column("channel", new_column_name="source",
                           existing_type=sa.String(length=16), existing_nullable=False)
    op.drop_index("uq_reporting_schedules_active", table_name="reporting_schedules")
    with op.batch_alter_table("reporting_schedules") as batch:
        batch.alter_column("due_day", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("deadline", sa.Time(), nullable=False,
                                   server_default="14:00:00"))
