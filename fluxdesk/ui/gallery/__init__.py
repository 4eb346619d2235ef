"""Every image ever made: the grid, its details, filters, actions, the large view and file operations."""
