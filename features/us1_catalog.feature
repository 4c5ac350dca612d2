@US1 @catalog
Feature: Alert rules use only what the exporters really expose
  A rule on a metric or a label that no exporter exposes never fires, and hides the
  outage it was written for. Each exporter the homelab deploys has a catalog of its
  metrics and their labels, which says how it was produced and how to regenerate it.

  # Timed: @serial keeps the suite's own parallel terraform and promtool runs off the CPU.
  # CPU time of the checks with the deployed catalogs' selection, the best of three: 45 to
  # 53 ms in the debug build on a busy 2-core machine, so the bound is 100 ms.
  @serial
  Scenario: Every metric and label the rules use exists, checked quickly
    Given the homelab's alert rules file
    When the rules are checked against the exporter catalogs
    Then no problem is found
    And the checks took less than 100 milliseconds

  Scenario: Each deployed exporter has a catalog that says where it comes from
    Then there is an exporter catalog for node-exporter, prometheus-pve-exporter, prometheus and homelab-textfile
    And every catalog says how it was produced and how to regenerate it

  Rule: A metric or label that does not exist is reported with its id, file, line and rule
    Each mistake is made in a copy of the rules file, at the first alert that plays the part
    the mistake needs, whatever the homelab calls it. A homelab with no such alert skips the
    scenario and says why.

    Scenario: A misspelt metric
      Given a copy of the rules file where the first alert on a catalogued metric misspells it
      When the rules are checked against the exporter catalogs
      Then the check reports "promql/series" for that alert

    Scenario: A label the metric does not have
      Given a copy of the rules file where the first alert that matches on a label of its metric uses a label only other metrics of its exporter have
      When the rules are checked against the exporter catalogs
      Then the check reports "promql/label" for that alert

    Scenario: A label a guest's status metric does not carry
      Given a copy of the rules file where the first alert that matches on a label of a prometheus-pve-exporter metric uses a label only other metrics of that exporter have
      When the rules are checked against the exporter catalogs
      Then the check reports "promql/label" for that alert

    Scenario: A summary that names a label the metric does not have
      Given a copy of the rules file where the summary of the first alert whose labels the catalogs know also names a label its metric does not have
      When the rules are checked against the exporter catalogs
      Then the check reports "alerts/template" for that alert
