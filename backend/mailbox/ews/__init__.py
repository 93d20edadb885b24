"""Exchange Server mailboxes over EWS (exchangelib)."""
