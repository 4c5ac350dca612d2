@suppressions
Feature: A finding is accepted on purpose, with a reason, in the file it is about
  A comment `homelab-spec: ignore <check id> -- <reason>`, in the file's own comment syntax, on
  the finding's line or the line above it, keeps the finding in the reports as suppressed
  (skipped in junit.xml, "suppressed: <reason>") and lets its scenario pass. A suppression
  without a reason, or of a check the suite does not have, is itself a finding, and the plan's
  own criteria (scenarios tagged @plan) cannot be suppressed. A failing `terraform test` run is
  suppressed in its test file, at its `run` block. See docs/suppressions.md.
  The scenarios on a copy write their comment there, never in the repository under test.

  Scenario: Every suppression in the repository names a known check and gives a reason
    Given the repository under test
    Then every suppression comment names a known check and gives a reason

  @US1
  Scenario: A finding in a rules file suppressed with a reason is skipped with its reason, and passes
    Given a copy of the repository in which the monitoring stack deploys a second rules file with a metric no exporter has
    And the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    And the "promql/series" finding for ToolingQueueStuck is suppressed on the line above it with the reason "the CI queue exporter is installed by hand"
    And the static and catalog checks run over every deployed rules file
    Then no problem is found
    And the JUnit report lists the "promql/series" finding for ToolingQueueStuck as skipped, "suppressed: the CI queue exporter is installed by hand"

  @US1
  Scenario: A suppression without a reason does not apply, and is itself a finding
    Given a copy of the repository in which the monitoring stack deploys a second rules file with a metric no exporter has
    And the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    And the "promql/series" finding for ToolingQueueStuck is suppressed on its line without a reason
    And the static and catalog checks run over every deployed rules file
    Then the "promql/series" finding for ToolingQueueStuck still fails the scenario
    And the suppression check reports "suppression/no-reason" in "infrastructure/proxmox/modules/monitoring-stack/files/prometheus/alerts/tooling.yml"

  # Tagged as one of the plan's own criteria: what makes a scenario one is its tag.
  @US1 @plan
  Scenario: A finding in a scenario that states one of the plan's criteria cannot be suppressed
    Given a copy of the repository in which the monitoring stack deploys a second rules file with a metric no exporter has
    And the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    And the "promql/series" finding for ToolingQueueStuck is suppressed on its line with the reason "we would rather not know"
    And the static and catalog checks run over every deployed rules file
    Then the "promql/series" finding for ToolingQueueStuck still fails the scenario
    And the suppression is refused with "suppression/plan-criterion"

  @US2
  Scenario: A failing Terraform test run without a suppression fails its scenario
    Given a copy of the first module with a guarded default, in which that default is changed
    When its regression tests run
    Then the run that guards it fails the scenario

  @US2
  Scenario: A failing Terraform test run suppressed with a reason above its run block passes
    Given a copy of the first module with a guarded default, in which that default is changed
    When its regression tests run
    And the run that guards it is suppressed on the line above it with the reason "this host sets that default by hand"
    And its regression tests run
    Then every regression run passes
