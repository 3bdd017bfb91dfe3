"""For tests in every tier: data builders (valid by default; override what a test is about),
in-memory fakes of the shared ports, and the AWS test environment with the shared tables."""
