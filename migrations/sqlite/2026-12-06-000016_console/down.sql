DROP TABLE channel_confirmations;
DROP TABLE sync_lag;
DROP TABLE transactions;
