@US1 @catalog
Feature: Alert rules use only what the exporters really expose
  A rule on a metric or a label that no exporter exposes never fires, and hides the
  outage it was written for. Each exporter the homelab deploys has a catalog of its
  metrics and their labels, which says how it was produced and how to regenerate it.

  # Timed: @serial keeps the suite's own parallel terraform and promtool runs off the CPU.
  @serial
  Scenario: Every metric and label the rules use exists, checked quickly
    Given the homelab's alert rules file
    When the rules are checked against the exporter catalogs
    Then no problem is found
    And the checks took less than 50 milliseconds

  Scenario: Each deployed exporter has a catalog that says where it comes from
    Then there is an exporter catalog for node-exporter, prometheus-pve-exporter, prometheus and homelab-textfile
    And every catalog says how it was produced and how to regenerate it

  Rule: A metric or label that does not exist is reported with its id, file, line and rule

    Scenario: A misspelt metric
      Given a copy of the rules file where HighLoadAverage uses the metric "node_load_15" instead of "node_load15"
      When the rules are checked against the exporter catalogs
      Then the check reports "promql/series" for HighLoadAverage

    Scenario: A label the metric does not have
      Given a copy of the rules file where SystemdServiceFailed uses the label "status" instead of "state"
      When the rules are checked against the exporter catalogs
      Then the check reports "promql/label" for SystemdServiceFailed

    Scenario: A label a guest's status metric does not carry
      Given a copy of the rules file where ProxmoxGuestDown uses the label "vmid" instead of "id"
      When the rules are checked against the exporter catalogs
      Then the check reports "promql/label" for ProxmoxGuestDown

    Scenario: A summary that names a label the metric does not have
      Given a copy of the rules file where the summary of HighLoadAverage also names the label "mountpoint"
      When the rules are checked against the exporter catalogs
      Then the check reports "alerts/template" for HighLoadAverage
