"""Adjudication's adapters: the policies table, bundled fee schedules, the Bedrock explainer."""
