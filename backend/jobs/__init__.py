"""RQ jobs: thin entry points that open a session and call the real logic."""
