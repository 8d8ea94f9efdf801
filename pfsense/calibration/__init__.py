"""Counts to newtons: the calibration itself, the tare and the known-weight fits, the wizard
that walks a person through them, and the file that keeps the current one."""
