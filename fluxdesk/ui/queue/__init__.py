"""This session's jobs (the queue) and the latest images."""
