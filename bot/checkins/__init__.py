"""Check-ins the pupil asked for: when they are due, quiet hours, the limit, and opting out."""
