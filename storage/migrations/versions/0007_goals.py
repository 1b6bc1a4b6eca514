"""the network's plan: goals, targets, manual indicator reports, projects and tasks

Revision ID: 0007_goals
Revises: 0001_core
Create Date: 2026-12-01 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0007_goals"
down_revision = "0001_core"
branch_labels = ("goals",)
depends_on = None


def upgrade() -> None:
    op.create_table('goals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('academic_year', sa.Integer(), nullable=False),
    sa.Column('aim', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='active', nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['members.id'], name=op.f('fk_goals_created_by_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_goals_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goals')),
    sa.UniqueConstraint('network_id', 'number', name='uq_goals_network_number')
    )
    op.create_index('ix_goals_network_year_status', 'goals', ['network_id', 'academic_year', 'status'], unique=False)
    op.create_table('goal_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('target_x100', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=32), server_default='', nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['goals.id'], name=op.f('fk_goal_targets_goal_id_goals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_goal_targets_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_goal_targets_owner_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_targets')),
    sa.UniqueConstraint('goal_id', 'position', name='uq_goal_targets_goal_position')
    )
    op.create_index('ix_goal_targets_network_goal', 'goal_targets', ['network_id', 'goal_id'], unique=False)
    op.create_table('plan_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('lead_organisation_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['members.id'], name=op.f('fk_plan_projects_created_by_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['goal_id'], ['goals.id'], name=op.f('fk_plan_projects_goal_id_goals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_organisation_id'], ['organisations.id'], name=op.f('fk_plan_projects_lead_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_plan_projects_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_projects')),
    sa.UniqueConstraint('network_id', 'number', name='uq_plan_projects_network_number')
    )
    op.create_index('ix_plan_projects_network_goal', 'plan_projects', ['network_id', 'goal_id'], unique=False)
    op.create_table('indicator_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('value_x100', sa.BigInteger(), nullable=False),
    sa.Column('reported_by', sa.Integer(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_indicator_reports_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by'], ['members.id'], name=op.f('fk_indicator_reports_reported_by_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_id'], ['goal_targets.id'], name=op.f('fk_indicator_reports_target_id_goal_targets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_reports'))
    )
    op.create_index('ix_indicator_reports_target_at', 'indicator_reports', ['target_id', 'reported_at'], unique=False)
    op.create_table('plan_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner_member_id', sa.Integer(), nullable=True),
    sa.Column('owner_organisation_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='todo', nullable=False),
    sa.Column('blocked_reason', sa.String(length=500), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['members.id'], name=op.f('fk_plan_tasks_created_by_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_plan_tasks_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_member_id'], ['members.id'], name=op.f('fk_plan_tasks_owner_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_organisation_id'], ['organisations.id'], name=op.f('fk_plan_tasks_owner_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['plan_projects.id'], name=op.f('fk_plan_tasks_project_id_plan_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_tasks')),
    sa.UniqueConstraint('network_id', 'number', name='uq_plan_tasks_network_number')
    )
    op.create_index('ix_plan_tasks_network_done', 'plan_tasks', ['network_id', 'done_on', 'due_on'], unique=False)
    op.create_index('ix_plan_tasks_network_owner_member', 'plan_tasks', ['network_id', 'owner_member_id', 'status'], unique=False)
    op.create_index('ix_plan_tasks_network_owner_org', 'plan_tasks', ['network_id', 'owner_organisation_id', 'status'], unique=False)
    op.create_index('ix_plan_tasks_network_status_due', 'plan_tasks', ['network_id', 'status', 'due_on'], unique=False)
    op.create_index('ix_plan_tasks_project', 'plan_tasks', ['project_id', 'status'], unique=False)
    op.create_table('plan_task_links',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_plan_task_links_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['plan_tasks.id'], name=op.f('fk_plan_task_links_task_id_plan_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'entity', 'entity_id', name=op.f('pk_plan_task_links'))
    )
    op.create_index('ix_plan_task_links_network_entity', 'plan_task_links', ['network_id', 'entity', 'entity_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_plan_task_links_network_entity', table_name='plan_task_links')
    op.drop_table('plan_task_links')
    op.drop_index('ix_plan_tasks_project', table_name='plan_tasks')
    op.drop_index('ix_plan_tasks_network_status_due', table_name='plan_tasks')
    op.drop_index('ix_plan_tasks_network_owner_org', table_name='plan_tasks')
    op.drop_index('ix_plan_tasks_network_owner_member', table_name='plan_tasks')
    op.drop_index('ix_plan_tasks_network_done', table_name='plan_tasks')
    op.drop_table('plan_tasks')
    op.drop_index('ix_indicator_reports_target_at', table_name='indicator_reports')
    op.drop_table('indicator_reports')
    op.drop_index('ix_plan_projects_network_goal', table_name='plan_projects')
    op.drop_table('plan_projects')
    op.drop_index('ix_goal_targets_network_goal', table_name='goal_targets')
    op.drop_table('goal_targets')
    op.drop_index('ix_goals_network_year_status', table_name='goals')
    op.drop_table('goals')
