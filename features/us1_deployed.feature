@US1 @deployed
Feature: The rules checked here are the rules that run
  The monitoring-stack module ships the alert rules file to Prometheus. If it shipped
  another file, every check in this suite would be about rules nobody runs.

  Scenario: The monitoring stack ships this very rules file to Prometheus
    Given the homelab's monitoring-stack module
    Then its Terraform reads the rules file "files/prometheus/alerts/default.yml" into what it deploys
