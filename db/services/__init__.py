"""The domain operations that buttons and CLI commands share; each takes the acting user."""
