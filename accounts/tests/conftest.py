"""Fixtures of the accounts tests: the real SMTP server (`smtp_server`) is shared by every
app's tests and lives in lms/testing/smtp.py (loaded by the root conftest)."""
