"""The C4C side of the sync: the OData V2 client (``c4c``) and entity definitions."""
