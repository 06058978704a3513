"""Ingestion: the unpartitioned Semaphore tables, one multi-asset per group of the table contract."""
