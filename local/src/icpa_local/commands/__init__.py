"""The `icpa` subcommands, one module each; `icpa_local.cli` builds the parser from them."""
