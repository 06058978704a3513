"""Asset checks on the Semaphore tables (keys, references, enums, secrets, completeness, drift)."""
