"""Registration requests and their life (docs/rules.md): created, submitted, paid, reviewed,
decided, withdrawn or cancelled, each step on the request's timeline."""
