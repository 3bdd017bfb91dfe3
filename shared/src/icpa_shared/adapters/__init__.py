"""Adapters the services share: AWS clients, claim documents and records, the audit trail, policies."""
