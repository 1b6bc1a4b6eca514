"""activities and resource mobilisation

Revision ID: 0002_activities
Revises: 0001_core
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_activities'
down_revision = '0001_core'
branch_labels = ('activities',)
depends_on = None


def upgrade() -> None:
    op.create_table('activity_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_activity_photos_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_photos'))
    )
    with op.batch_alter_table('activity_photos', schema=None) as batch_op:
        batch_op.create_index('ix_activity_photos_entity', ['network_id', 'entity', 'entity_id'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('aim', sa.String(length=24), nullable=False),
    sa.Column('activity_date', sa.Date(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('has_photo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], name=op.f('fk_activities_author_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_activities_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_activities_organisation_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_network_author_date', ['network_id', 'author_id', 'activity_date'], unique=False)
        batch_op.create_index('ix_activities_network_date_totals', ['network_id', 'activity_date', 'category', 'aim', 'organisation_id', 'participants', 'minutes'], unique=False)
        batch_op.create_index('ix_activities_network_org_date', ['network_id', 'organisation_id', 'activity_date'], unique=False)

    op.create_table('needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('posted_by', sa.Integer(), nullable=True),
    sa.Column('resource_type', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('target_x100', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('needed_by', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='open', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_needs_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_needs_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['posted_by'], ['members.id'], name=op.f('fk_needs_posted_by_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_network_created', ['network_id', 'created_at'], unique=False)
        batch_op.create_index('ix_needs_network_status_needed_by', ['network_id', 'status', 'needed_by'], unique=False)

    op.create_table('pledges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('pledger_id', sa.Integer(), nullable=True),
    sa.Column('resource_type', sa.String(length=16), nullable=False),
    sa.Column('source_sector', sa.String(length=16), nullable=False),
    sa.Column('amount_x100', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='pledged', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_by', sa.Integer(), nullable=True),
    sa.Column('delivery_note', sa.String(length=500), nullable=True),
    sa.Column('has_photo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cancelled_by'], ['members.id'], name=op.f('fk_pledges_cancelled_by_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['delivered_by'], ['members.id'], name=op.f('fk_pledges_delivered_by_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_pledges_need_id_needs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_pledges_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pledger_id'], ['members.id'], name=op.f('fk_pledges_pledger_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledges'))
    )
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.create_index('ix_pledges_need_status', ['need_id', 'status', 'amount_x100'], unique=False)
        batch_op.create_index('ix_pledges_network_created_totals', ['network_id', 'created_at', 'resource_type', 'source_sector', 'unit', 'status', 'amount_x100'], unique=False)
        batch_op.create_index('ix_pledges_network_delivered_totals', ['network_id', 'delivered_at', 'resource_type', 'source_sector', 'unit', 'amount_x100'], unique=False)
        batch_op.create_index('ix_pledges_network_pledger', ['network_id', 'pledger_id', 'created_at'], unique=False)
        batch_op.create_index('ix_pledges_network_status_expected', ['network_id', 'status', 'expected_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index('ix_pledges_network_status_expected')
        batch_op.drop_index('ix_pledges_network_pledger')
        batch_op.drop_index('ix_pledges_network_delivered_totals')
        batch_op.drop_index('ix_pledges_network_created_totals')
        batch_op.drop_index('ix_pledges_need_status')

    op.drop_table('pledges')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_network_status_needed_by')
        batch_op.drop_index('ix_needs_network_created')

    op.drop_table('needs')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_network_org_date')
        batch_op.drop_index('ix_activities_network_date_totals')
        batch_op.drop_index('ix_activities_network_author_date')

    op.drop_table('activities')
    with op.batch_alter_table('activity_photos', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_photos_entity')

    op.drop_table('activity_photos')
