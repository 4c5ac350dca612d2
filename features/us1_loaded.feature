@US1 @loaded
Feature: Prometheus itself loads the rules
  The checks in this suite are only as good as their agreement with Prometheus. A real
  Prometheus server, started for the test on this machine, loads the rules file and
  evaluates every rule; promtool, Prometheus's own checker, agrees.

  Scenario: A real Prometheus server loads every rule and finds each one healthy
    Given a Prometheus server started on this machine with the homelab's alert rules
    When it has evaluated every rule at least once
    Then it reports 28 alerting rules in 7 groups
    And every rule is healthy

  Scenario: promtool agrees
    Given the homelab's alert rules file
    When promtool checks the rules file
    Then promtool finds 28 rules and no error

  Scenario: promtool refuses what the static checks refuse
    Given a copy of the rules file with an extra top-level key "alerting"
    When promtool checks the rules file
    Then promtool refuses it, naming "alerting"
