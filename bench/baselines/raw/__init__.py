"""Raw twins: the real read and write endpoints answered with hand-written SQL."""
