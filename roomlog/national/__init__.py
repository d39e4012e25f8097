"""``/national``: every municipality with a national total, disclosure-controlled."""
