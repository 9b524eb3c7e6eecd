DROP TABLE plugins;
