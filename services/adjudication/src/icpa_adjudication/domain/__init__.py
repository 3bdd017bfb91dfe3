"""Adjudication's pure core: rules, pricing and explanations. No AWS, no env, no clock."""
