"""survey tallies: per question and choice the number of answers, and per question the responses that
answered it, kept by triggers in the transaction of every answer's write (storage/survey_tallies.py) and
filled here from the answers already given, so a year's survey results (the SAR pack) read the tallies
instead of every answer

Revision ID: 0014_survey_tallies
Revises: 0013_inbox_chat; needs 0003_surveys' answers (a dependency, so that upgrading to this head alone
builds them first)
"""
from alembic import op
import sqlalchemy as sa


revision = "0014_survey_tallies"
down_revision = "0013_inbox_chat"
branch_labels = None
depends_on = ("0003_surveys",)


def upgrade() -> None:
    from storage.survey_tallies import BACKFILL, POSTGRES_TRIGGERS, SQLITE_TRIGGERS

    op.create_table(
        "survey_tallies",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("network_id", "survey_id", "question_id", "choice", name=op.f("pk_survey_tallies")),
        sqlite_with_rowid=False,
    )
    for statement in BACKFILL + (SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    from storage.survey_tallies import DROP_POSTGRES, DROP_SQLITE

    for statement in DROP_SQLITE if op.get_bind().dialect.name == "sqlite" else DROP_POSTGRES:
        op.execute(statement)
    op.drop_table("survey_tallies")
