"""The service's tables: for now only the messaging tables every service carries."""
from sqlalchemy import MetaData

from mumaris_shared.db import messaging_tables

metadata = MetaData()
outbox_table, inbox_table = messaging_tables(metadata)
