"""understand stage."""
