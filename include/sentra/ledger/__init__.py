"""The ledger: submissions, the sentra register, decisions and deliveries (SQLAlchemy 2)."""
