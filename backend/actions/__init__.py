"""What a person does to a mailbox or an item (pause, force, revoke, approve, track,
retry), each checked and audited: one path for the panel, the APIs and the CLI."""
