"""HTTP blueprints. Views are thin: they call services, jobs and the Save dialog."""
