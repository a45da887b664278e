"""`make bench`: Clocher's speed and size targets, measured, never asserted in unit tests."""
