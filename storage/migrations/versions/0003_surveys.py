"""surveys and polls

Revision ID: 0003_surveys
Revises: 0001_core
Create Date: 2026-11-21 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0003_surveys"
down_revision = "0001_core"
branch_labels = ("surveys",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("audience_size", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_surveys_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_surveys_chat_id_chats"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_surveys_created_by_members"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("network_id", "number", name="uq_surveys_network_number"),
    )
    op.create_index("ix_surveys_network_status", "surveys", ["network_id", "status"], unique=False)
    op.create_index("ix_surveys_network_opened", "surveys", ["network_id", "opened_at"], unique=False)

    op.create_table(
        "survey_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_survey_questions_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name=op.f("fk_survey_questions_survey_id_surveys"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_questions")),
        sa.UniqueConstraint("survey_id", "position", name="uq_survey_questions_survey_position"),
    )

    # WITHOUT ROWID on SQLite: rows are stored in random-key order, not in the order of answering.
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_survey_responses_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name=op.f("fk_survey_responses_survey_id_surveys"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_survey_responses_member_id_members"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("survey_id", "voter_key", name="uq_survey_responses_survey_voter"),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "survey_answers",
        sa.Column("response_id", sa.String(length=32), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["response_id"], ["survey_responses.id"],
                                name=op.f("fk_survey_answers_response_id_survey_responses"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["survey_questions.id"],
                                name=op.f("fk_survey_answers_question_id_survey_questions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_survey_answers_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name=op.f("fk_survey_answers_survey_id_surveys"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id", "question_id", "choice", name=op.f("pk_survey_answers")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_survey_answers_survey_question", "survey_answers", ["survey_id", "question_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_survey_answers_survey_question", table_name="survey_answers")
    op.drop_table("survey_answers")
    op.drop_table("survey_responses")
    op.drop_table("survey_questions")
    op.drop_index("ix_surveys_network_opened", table_name="surveys")
    op.drop_index("ix_surveys_network_status", table_name="surveys")
    op.drop_table("surveys")
