"""Mail: an outbox table and a sender over real SMTP."""
