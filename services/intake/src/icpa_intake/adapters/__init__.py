"""AWS adapters behind Intake's ports. Each takes `client=None` and builds its boto3 client on
first use; ClientErrors become ICPA's typed errors (transient ones TransientDependencyError)."""
