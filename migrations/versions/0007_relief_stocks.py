"""relief_stocks: the row every distribution claims before it checks a commune's stock

Revision ID: 0007_relief_stocks
Revises: 0006_settings
Create Date: 2026-12-04 22:00:00

Concurrent distributions of one commune and item take turns on this row (issue 20),
so together they never give out more than was delivered.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_relief_stocks'
down_revision = '0006_settings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('relief_stocks',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.String(length=16), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('claims', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'],
                            name=op.f('fk_relief_stocks_commune_code_communes')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'],
                            name=op.f('fk_relief_stocks_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'commune_code', 'item', name=op.f('pk_relief_stocks'))
    )


def downgrade():
    op.drop_table('relief_stocks')
