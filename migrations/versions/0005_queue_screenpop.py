"""Queues: an external CRM page the agent's desktop opens with each call (`screenpop_url`, a template).

Revision ID: 0005_queue_screenpop
Revises: 0004_cases
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_queue_screenpop"
down_revision = "0004_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("queues", sa.Column("screenpop_url", sa.Text))


def downgrade() -> None:
    op.drop_column("queues", "screenpop_url")
