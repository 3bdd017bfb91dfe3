"""The Router's Lambda entry points, one module per function (usecases/ has the same names)."""
