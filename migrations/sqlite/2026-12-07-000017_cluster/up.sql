-- Several processes on one PostgreSQL database: each live process renews its row; each
-- channel, plugin and webhook subscription is owned through one lease at a time. `generation`
-- is the fencing token: it grows on every change of owner, and an owner's writes check it.
-- On SQLite the one process holds every lease.
CREATE TABLE cluster_processes (
    id TEXT PRIMARY KEY NOT NULL,
    address TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    renewed_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE leases (
    kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    owner TEXT,
    generation BIGINT NOT NULL,
    renewed_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, target_id)
);
CREATE INDEX leases_owner ON leases (owner);
