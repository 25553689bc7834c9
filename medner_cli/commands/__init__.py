"""One module per CLI command; each parses options and calls library code."""
