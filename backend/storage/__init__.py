"""Where the data lives: the database engine, migrations applied, the embedded Redis."""
