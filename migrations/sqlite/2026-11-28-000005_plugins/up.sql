-- Fulfilment-centre plugins: where their orders go, which orders they take, and how they
-- authenticate (the API token is kept as its SHA-256 only).
CREATE TABLE plugins (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    orders_url TEXT NOT NULL,
    routing TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    signing_secret TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
