"""The states an account is in and the roles it may hold."""

PENDING_VERIFICATION = "pending_verification"
ACTIVE = "active"

APPLICANT = "applicant"
REVIEWER = "reviewer"
SECRETARY_GENERAL = "secretary_general"
STAFF_ROLES = (REVIEWER, SECRETARY_GENERAL)
