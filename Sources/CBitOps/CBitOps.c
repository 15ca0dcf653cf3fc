// Header-only: see include/CBitOps.h.
