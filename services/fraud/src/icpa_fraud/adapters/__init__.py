"""Fraud's adapters: AWS behind the ports (each takes `client=None` and builds its boto3 client
on first use; ClientErrors become typed errors) and the bundled reference data loader."""
