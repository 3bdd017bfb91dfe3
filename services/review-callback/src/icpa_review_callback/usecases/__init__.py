"""One use case per handler (same module name): ports in, outcomes out, audit recorded."""
