"""Intake's Lambda entry points, one module per function: intake (state Intake) and
quarantine (state QuarantineClaim)."""
