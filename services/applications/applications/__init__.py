"""Registration requests and their life (DESIGN.md section 3). Issue 3 fills this in."""
