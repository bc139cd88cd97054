"""Pure domain: official code tables, models, validation and rules. No I/O, no clock."""
