"""Logging in and out, server-side sessions, and who may see what."""
