"""Who may use Mumaris: accounts, their activation by e-mailed code, roles, and the signed tokens
every other service trusts."""
