//! US1: the Prometheus alert rules (model, static checks, exporter catalogs, rule engine runs).
