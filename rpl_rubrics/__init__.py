"""Competency rubrics for Recognition of Prior Learning, and the engine that applies them."""
