"""Mailbox providers: one protocol (``base.MailboxProvider``), one module per mail system."""
