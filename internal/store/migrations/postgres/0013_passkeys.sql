-- +goose Up
-- Passkeys (WebAuthn credentials): several per account, each bound to its
-- credential id (unique: a credential belongs to one account). credential
-- is the whole webauthn.Credential as JSON (public key, flags, AAGUID,
-- transports); sign_count is its last signature counter, which must grow
-- (a counter going back means a cloned authenticator).
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    credential    TEXT NOT NULL,
    sign_count    BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- +goose Down
DROP TABLE passkeys;
