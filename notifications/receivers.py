"""Signal receivers; filled in below."""
