@US1 @static
Feature: Every alert rule is complete and well formed
  As a homelab admin I want every alert rule to be complete and valid, so that Prometheus
  loads it and the person it pages knows what broke and where.
  Each problem is reported with a stable id, the file, the line and the rule.

  Background:
    Given the homelab's alert rules file

  # Timed: @serial keeps the suite's own parallel terraform and promtool runs off the CPU.
  @serial
  Scenario: The rules file passes every static check, quickly
    When the static checks run
    Then no problem is found
    And the checks took less than 50 milliseconds

  Scenario: There are at least 26 alerts over the deployed rules files, in the groups of the plan
    Given the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    Then there are at least 26 alerting rules over the deployed files, and the count is reported
    And the groups include node-alerts, proxmox-alerts, prometheus-alerts, backup-alerts, drift-alerts, health-alerts and lifecycle-alerts

  Scenario: Every rule of every deployed rules file passes the static and catalog checks
    Given the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    Then no problem is found

  Scenario Outline: The new alert <alert> is in place
    When the static checks run
    Then <alert> is in the group <group>, waits <wait> before firing and has severity warning

    Examples:
      | alert                            | group             | wait |
      | SystemdServiceFailed             | node-alerts       | 5m   |
      | HighLoadAverage                  | node-alerts       | 10m  |
      | HighNetworkErrors                | node-alerts       | 5m   |
      | NodeFilesystemAlmostOutOfInodes  | node-alerts       | 5m   |
      | PrometheusRuleEvaluationFailures | prometheus-alerts | 5m   |

  Rule: A mistake is reported with its id, file, line and rule
    Each mistake is made in a copy of the rules file, at the alert that plays the part the
    mistake needs (the first alert that waits before firing, the first with a severity...),
    whatever the homelab calls it. A homelab with no such alert skips the scenario and says why.

    Scenario: A file that is not valid YAML
      Given a copy of the rules file where the "for" of the first alert that waits before firing is indented with a tab
      When the static checks run
      Then the check reports "yaml/syntax" at the changed line

    Scenario: A key Prometheus does not know
      Given a copy of the rules file with an extra top-level key "alerting"
      When the static checks run
      Then the check reports "yaml/unknown-key" at the changed line

    Scenario: A rule without an expression
      Given a copy of the rules file where the first alert has no expression
      When the static checks run
      Then the check reports "rule/expr-missing" for that alert

    Scenario: An expression that does not parse
      Given a copy of the rules file where the expression of the first alert is cut short
      When the static checks run
      Then the check reports "promql/syntax" for that alert

    Scenario: Two alerts with the same name
      Given a copy of the rules file where the second alert is renamed as the first
      When the static checks run
      Then the check reports "rule/duplicate" for that alert

    Scenario: An alert that would page on the first blip
      Given a copy of the rules file where the first alert that waits before firing has no "for"
      When the static checks run
      Then the check reports "alerts/for" for that alert

    Scenario: A wait that is not a duration
      Given a copy of the rules file where the first alert that waits before firing waits "5 minutes" before firing
      When the static checks run
      Then the check reports "alerts/for" for that alert

    Scenario: A severity outside info, warning and critical
      Given a copy of the rules file where the first alert with a severity has the severity "urgent"
      When the static checks run
      Then the check reports "alerts/severity" for that alert

    Scenario: An alert without a description
      Given a copy of the rules file where the first alert with a description has no description
      When the static checks run
      Then the check reports "alerts/annotations" for that alert

    Scenario: A summary that names a label the alert's result does not keep
      Given a copy of the rules file where the summary of the first alert that aggregates away a label it selects on also names that label
      When the static checks run
      Then the check reports "alerts/template" for that alert
