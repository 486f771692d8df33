"""Registration requests and their life (DESIGN.md section 3): created, submitted, paid, reviewed,
decided, withdrawn or cancelled, each step on the request's timeline."""
