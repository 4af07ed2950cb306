"""The Qt user interface: calls into db/ and matching/, holds no business rules."""
