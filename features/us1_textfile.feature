@US1 @catalog @textfile
Feature: The homelab's own scripts publish the metrics its alerts rely on
  The backup, drift, health and lifecycle alerts watch metrics that the homelab's
  operations scripts publish through node-exporter's text files. An alert on a metric no
  script publishes never fires, and hides the failure it was written for. The contract of
  these metrics lists each one with its labels; the scripts are run here against a
  stand-in Proxmox node, Terraform and certificates, so nothing connects anywhere, and
  what they publish is compared with the contract.

  Scenario: Every textfile metric the alerts rely on is published by an operations script
    When the operations scripts run against a stand-in Proxmox node, Terraform and certificates
    Then every metric of the textfile contract is published by an operations script

  Scenario: The operations scripts publish nothing the contract does not declare
    When the operations scripts run against a stand-in Proxmox node, Terraform and certificates
    Then every metric the scripts publish is in the contract, with the same type and labels

  Scenario: The tests of the operations scripts pass, each with its own result
    Given the BATS file "tests/restore/test_textfile.bats"
    When the BATS tests run
    Then every BATS test passes
    And each BATS test has its own result in the JUnit report

  Rule: A script that strays from the contract is reported with the script, metric and label
    Each change is made in a copy of the scripts, at the first script whose samples play the
    part the change needs, whatever the homelab calls it. A homelab whose scripts write no
    such sample through the textfile library skips the scenario and says why.

    Scenario: A script that renames a metric
      Given a copy of the operations scripts where the first script that alone publishes a metric renames it
      When the operations scripts run against a stand-in Proxmox node, Terraform and certificates
      Then the check reports that the script publishes the new name, which the contract does not declare
      And the check reports that no operations script publishes the old name

    Scenario: A script that drops a label
      Given a copy of the operations scripts where the first script that publishes a metric with a label drops that label
      When the operations scripts run against a stand-in Proxmox node, Terraform and certificates
      Then the check reports that the script publishes the metric without that label

    Scenario: A script that adds a label
      Given a copy of the operations scripts where the first script that publishes a metric adds a label to it
      When the operations scripts run against a stand-in Proxmox node, Terraform and certificates
      Then the check reports that the script sets that label on the metric, which the contract does not declare
