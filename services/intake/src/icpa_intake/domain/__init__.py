"""Intake's pure domain: decoding, FHIR mapping, validation, and quarantine rules.

Nothing here touches AWS, the environment or the clock: callers pass those in.
"""
