"""Fraud's pure domain: reference data models, signals, scoring and the model summary.

No boto3, no environment, no clock here: history, policy, reference data and time are passed in.
"""
