"""IAM fidelity: the template's roles evaluated against the AWS calls the code makes
(policy.py evaluates, template.py resolves the template, authorizations.py maps a call to what
AWS authorizes, check.py compares the two)."""
