"""branchbot: keeps every Party member of a branch within reach (党员组织关系排查)."""

__version__ = "0.1.0"
