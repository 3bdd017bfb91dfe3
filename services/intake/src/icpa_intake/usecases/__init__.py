"""Intake's use cases, one module per handler (handlers/<name>.py -> usecases/<name>.py)."""
