-- +goose Up
-- Accounts, round 2: a proven email address and emailed single-use links
-- (verification and password reset) owned by accounts; a session epoch that
-- ends a user's other sessions; sign-in throttling per account and client
-- address with the addresses an account signed in from; API tokens that
-- remember the token that made them.

ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_failed_login_at INTEGER;

-- Accounts made by an administrator (or the command line) were vouched for
-- by them; a self-registered researcher's address was proven when the link
-- was opened.
UPDATE users SET email_verified_at = created_at WHERE id NOT IN (SELECT user_id FROM researchers);
UPDATE users SET email_verified_at = (SELECT verified_at FROM researchers r WHERE r.user_id = users.id)
    WHERE id IN (SELECT user_id FROM researchers);

-- A registration not yet verified is now an account without a password,
-- not disabled, whose address is unproven: the password its registrant
-- chose is dropped (whoever registered first must not own the account).
-- Links sent before this version stop working: registering again, or
-- asking for a password reset, sends a new one.
UPDATE users SET disabled = FALSE, password_hash = ''
    WHERE id IN (SELECT user_id FROM researchers WHERE verified_at IS NULL) AND last_login_at IS NULL;

-- Verification now lives on the account.
DROP INDEX researchers_verify;
ALTER TABLE researchers DROP COLUMN verify_hash;
ALTER TABLE researchers DROP COLUMN verify_expires_at;
ALTER TABLE researchers DROP COLUMN verified_at;

CREATE TABLE email_links (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    purpose    TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_links_user ON email_links (user_id, purpose);

ALTER TABLE login_failures ADD COLUMN client_key TEXT NOT NULL DEFAULT '';
ALTER TABLE login_failures ADD COLUMN id TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_client ON login_failures (client_key, at);
CREATE INDEX login_failures_id ON login_failures (id);

CREATE TABLE login_clients (
    account_key TEXT NOT NULL,
    client_key  TEXT NOT NULL,
    last_at     INTEGER NOT NULL,
    PRIMARY KEY (account_key, client_key)
);

ALTER TABLE api_tokens ADD COLUMN parent_id TEXT REFERENCES api_tokens(id);
CREATE INDEX api_tokens_parent ON api_tokens (parent_id);

-- +goose Down
DROP INDEX api_tokens_parent;
ALTER TABLE api_tokens DROP COLUMN parent_id;
DROP TABLE login_clients;
DROP INDEX login_failures_id;
DROP INDEX login_failures_client;
ALTER TABLE login_failures DROP COLUMN id;
ALTER TABLE login_failures DROP COLUMN client_key;
DROP TABLE email_links;
ALTER TABLE researchers ADD COLUMN verified_at INTEGER;
ALTER TABLE researchers ADD COLUMN verify_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE researchers ADD COLUMN verify_expires_at INTEGER;
UPDATE researchers SET verified_at = (SELECT email_verified_at FROM users u WHERE u.id = researchers.user_id);
CREATE INDEX researchers_verify ON researchers (verify_hash);
ALTER TABLE users DROP COLUMN last_failed_login_at;
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN session_epoch;
ALTER TABLE users DROP COLUMN email_verified_at;
