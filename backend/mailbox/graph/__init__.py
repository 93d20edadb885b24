"""Exchange Online mailboxes over Microsoft Graph."""
