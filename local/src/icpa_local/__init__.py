"""The local cloud: the real ASL on moto's Step Functions interpreter, the real handlers
in-process, S3 uploads starting executions through the real EventBridge rule. No AWS account."""
