"""Patients, targets, routines, calibrations and sessions in SQLite (pfsense.store.db)."""
