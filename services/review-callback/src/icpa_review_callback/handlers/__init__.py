"""One module per Lambda function: the Lambda contract only (events, decorators, HTTP)."""
