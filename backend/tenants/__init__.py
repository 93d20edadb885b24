"""Putting a company into service: its tenant, users and mailbox connections."""
