"""Data builders for tests in every tier (valid by default; override what a test is about)."""
