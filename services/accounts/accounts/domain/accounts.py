"""The states an account is in. (The roles it may hold are shared: mumaris_shared.auth.)"""

PENDING_VERIFICATION = "pending_verification"
ACTIVE = "active"
