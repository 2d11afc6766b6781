"""Storage: event stores, read views and the tenant directory, on PostgreSQL or SQLite."""
