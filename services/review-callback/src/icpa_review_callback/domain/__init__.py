"""The review desk's rules, free of AWS, environment and clock: ports and `now` come in,
models and outcomes go out."""
