DROP TABLE leases;
DROP TABLE cluster_processes;
