"""The shared access layer: server-side sessions, who may see what, throttling, second factors, sealing.
Not a blueprint (logging in and out is :mod:`roomlog.login`)."""
