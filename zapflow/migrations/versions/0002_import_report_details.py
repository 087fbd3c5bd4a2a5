"""import report details

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 15:57:24.707829
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('contact_import_rejections', sa.Column('outcome', sa.Enum('rejected', 'imported_without_birth_date', 'merged_duplicate', name='import_row_outcome', native_enum=False, create_constraint=True), server_default='rejected', nullable=False))
    # A line may appear twice in a report (imported without its date, and a merged duplicate).
    op.drop_constraint('pk_contact_import_rejections', 'contact_import_rejections', type_='primary')
    op.create_primary_key(
        'pk_contact_import_rejections', 'contact_import_rejections', ['import_id', 'line', 'outcome']
    )
    op.add_column('contact_imports', sa.Column('rows_unchanged', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.add_column('contact_imports', sa.Column('rows_warned', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.add_column('contact_imports', sa.Column('source', sa.String(length=16), server_default='file', nullable=False))
    op.add_column('contact_imports', sa.Column('encoding', sa.String(length=32), nullable=True))
    op.add_column('contact_imports', sa.Column('delimiter', sa.String(length=4), nullable=True))
    op.add_column('contact_imports', sa.Column('columns', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False))


def downgrade() -> None:
    op.drop_column('contact_imports', 'columns')
    op.drop_column('contact_imports', 'delimiter')
    op.drop_column('contact_imports', 'encoding')
    op.drop_column('contact_imports', 'source')
    op.drop_column('contact_imports', 'rows_warned')
    op.drop_column('contact_imports', 'rows_unchanged')
    op.execute("DELETE FROM contact_import_rejections WHERE outcome <> 'rejected'")
    op.drop_constraint('pk_contact_import_rejections', 'contact_import_rejections', type_='primary')
    op.create_primary_key(
        'pk_contact_import_rejections', 'contact_import_rejections', ['import_id', 'line']
    )
    op.drop_column('contact_import_rejections', 'outcome')
