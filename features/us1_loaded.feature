@US1 @loaded
Feature: Prometheus itself loads the rules
  The checks in this suite are only as good as their agreement with Prometheus. A real
  Prometheus server, started for the test on this machine, loads every rules file the
  homelab deploys and evaluates every rule; promtool, Prometheus's own checker, agrees.

  Scenario: A real Prometheus server loads every deployed rules file and finds each rule healthy
    Given a Prometheus server started on this machine with every rules file the homelab deploys
    When it has evaluated every rule whose group is due within the wait
    Then it reports at least 26 alerting rules, as many as the deployed files hold, in as many groups
    And every rule is healthy

  Scenario: promtool agrees on every deployed rules file
    When promtool checks every rules file the homelab deploys
    Then promtool finds as many rules as the deployed files hold, and no error

  Scenario: promtool refuses what the static checks refuse
    Given a copy of the rules file with an extra top-level key "alerting"
    When promtool checks the rules file
    Then promtool refuses it, naming "alerting"
