"""settings key/value table; HXL tags of the catalog with their dictionary meaning

Revision ID: 0006_settings
Revises: 0003_relief
Create Date: 2026-11-24 08:00:00

The data step retags the default indicators of existing databases (HXL core
dictionary: #affected only for people or households, +killed for deaths,
#indicator+num for houses, points, hectares and metres, #value for VND). A tag
an administrator changed by hand (not the old default) is left alone.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_settings'
down_revision = '0003_relief'
branch_labels = None
depends_on = None

RETAG = {  # code: (old default, new default)
    'people_dead': ('#affected+dead', '#affected+killed'),
    'houses_collapsed': ('#affected+houses+destroyed', '#indicator+num+houses+destroyed'),
    'houses_damaged_heavy': ('#affected+houses+damaged+severe', '#indicator+num+houses+damaged+severe'),
    'houses_damaged_partial': ('#affected+houses+damaged+partial', '#indicator+num+houses+damaged+partial'),
    'houses_flooded': ('#affected+houses+flooded', '#indicator+num+houses+flooded'),
    'schools_damaged': ('#affected+schools+damaged', '#indicator+num+schools+damaged'),
    'health_facilities_damaged': ('#affected+health+damaged', '#indicator+num+health_facilities+damaged'),
    'rice_damaged_ha': ('#affected+crops+rice+ha', '#indicator+num+crops+rice+ha'),
    'crops_damaged_ha': ('#affected+crops+vegetables+ha', '#indicator+num+crops+vegetables+ha'),
    'fruit_trees_damaged_ha': ('#affected+crops+trees+ha', '#indicator+num+crops+trees+ha'),
    'forest_damaged_ha': ('#affected+forest+ha', '#indicator+num+forest+ha'),
    'livestock_lost': ('#affected+livestock+lost', '#indicator+num+livestock+lost'),
    'poultry_lost': ('#affected+poultry+lost', '#indicator+num+poultry+lost'),
    'dams_damaged': ('#affected+dams+damaged', '#indicator+num+dams+damaged'),
    'irrigation_damaged_m': ('#affected+irrigation+damaged+m', '#indicator+num+irrigation+damaged+m'),
    'landslide_points': ('#affected+landslides+num', '#indicator+num+landslides+points'),
    'landslide_volume_m3': ('#affected+landslides+m3', '#indicator+num+landslides+m3'),
    'roads_damaged_m': ('#affected+roads+damaged+m', '#indicator+num+roads+damaged+m'),
    'villages_isolated': ('#affected+villages+isolated', '#indicator+num+villages+isolated'),
    'power_poles_broken': ('#affected+power+poles', '#indicator+num+power_poles+broken'),
    'rice_received_kg': ('#reached+food+rice+received+kg', '#indicator+num+food+rice+received+kg'),
    'rice_distributed_kg': ('#reached+food+rice+distributed+kg', '#indicator+num+food+rice+distributed+kg'),
    'people_receiving_rice': ('#reached+ind+rice', '#reached+ind+food+rice'),
}

indicators = sa.table('indicators', sa.column('code', sa.String), sa.column('hxl', sa.String))


def _retag(index_from: int, index_to: int) -> None:
    for code, tags in RETAG.items():
        op.execute(indicators.update()
                   .where(indicators.c.code == code, indicators.c.hxl == tags[index_from])
                   .values(hxl=tags[index_to]))


def upgrade():
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    _retag(0, 1)


def downgrade():
    _retag(1, 0)
    op.drop_table('settings')
