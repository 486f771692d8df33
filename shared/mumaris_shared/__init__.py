"""What every Mumaris service shares: the event envelope, the transactional outbox and its relay,
the inbox and the consumer (with retry and parking), JWT verification, web helpers and settings."""
