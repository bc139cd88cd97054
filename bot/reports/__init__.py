"""The official forms: blank templates to fill in, readers for filled-in rosters, and form writers."""
