"""ICPA shared package: contracts every service speaks, and the small common code they share.

Imports here stay empty on purpose: a handler pays only for the submodules it uses
(cold start: `import boto3` alone is ~190 ms here, measured).
"""
