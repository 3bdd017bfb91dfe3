"""AWS adapters behind the domain's ports: the reviews table, Step Functions' callback API, SNS."""
