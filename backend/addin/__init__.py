"""The Outlook add-in's own logic: what the open item's state is, and the manifest."""
