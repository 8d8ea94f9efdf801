"""The `pfsense` command: `main` parses and dispatches; each module holds a group of commands."""
