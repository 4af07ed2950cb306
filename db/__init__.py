"""Storage and the domain's records. No Qt here."""
