"""Adapters every service needs: AWS clients, claim documents and records, the audit trail."""
