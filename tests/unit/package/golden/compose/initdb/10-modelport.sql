-- modelport's own state lives beside MLflow's database.
CREATE DATABASE modelport;
