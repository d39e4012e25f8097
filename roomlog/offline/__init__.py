"""The offline outbox: the service worker script and what the capture pages need to queue taps."""
