-- docker compose: run once by postgres:16 on a fresh volume (as POSTGRES_USER = mumaris).
-- One database per service; nothing calls another service's database.
CREATE DATABASE mumaris_accounts OWNER mumaris;
CREATE DATABASE mumaris_applications OWNER mumaris;
CREATE DATABASE mumaris_billing OWNER mumaris;
CREATE DATABASE mumaris_notifications OWNER mumaris;
CREATE DATABASE mumaris_portal OWNER mumaris;
