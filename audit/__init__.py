"""Audit: the read-only log of staff actions on models, jobs and prices (`AuditEntry`), and the
record of every privacy request on a customer, export or erasure (`PrivacyRequest`)."""
