"""The rules of the domain, each in one place: no SQL, no Qt, and nothing else of ours imported."""
