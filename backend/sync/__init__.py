"""The sync engine and the policy around it: taxonomy, status transitions, issues, markers."""
