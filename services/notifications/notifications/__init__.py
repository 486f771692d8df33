"""E-mails to people about what happened to them: each event a person should hear of becomes a
delivery, rendered in the recipient's language and sent once by the mailer."""
