"""Features, eligibility, scoring, explanations and assignment. Takes frames, returns frames."""
