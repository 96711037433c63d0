"""backups: one row per backup run (flask backup, the daily scheduler job)

Revision ID: 0008_backups
Revises: 0007_relief_stocks
Create Date: 2026-12-04 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_backups'
down_revision = '0007_relief_stocks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('backups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('scheduled_for', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backups')),
    sa.UniqueConstraint('scheduled_for', name=op.f('uq_backups_scheduled_for'))
    )


def downgrade():
    op.drop_table('backups')
