"""Data sets used by the course notebooks, built offline and committed to the repository."""
