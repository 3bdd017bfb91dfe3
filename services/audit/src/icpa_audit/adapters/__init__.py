"""AWS adapters: Step Functions history, the archive bucket, the audit table (read-only)."""
