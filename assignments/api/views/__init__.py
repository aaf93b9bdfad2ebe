"""The assignments API, split by resource: assignments, submissions, gradebook."""
