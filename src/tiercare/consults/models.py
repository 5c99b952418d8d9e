"""Models of the consults app."""
