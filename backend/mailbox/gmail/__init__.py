"""Gmail mailboxes over Google's Gmail, People, Calendar and Tasks APIs."""
