@growth
Feature: The suite checks a homelab that grows, without being edited
  A homelab grows every release: one more alert, module, rules file or BATS file. The
  acceptance criteria hold over every part the suite discovers, with the plan's numbers as
  floors. Each scenario changes a scratch copy of the repository (never the repository
  itself) and runs the suite's own steps on it. Tools run as the homelab's CI runs them:
  terraform test in place in each module and environment, bats from the repository root.

  @US1
  Scenario: A valid new alert passes US1's checks
    Given a copy of the repository in which a valid alert NodeClockSkew is added
    And the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    Then no problem is found
    And there are at least 27 alerting rules over the deployed files, and the count is reported
    And NodeClockSkew is in the group clock-alerts, waits 10m before firing and has severity warning

  @US1 @coverage
  Scenario: A new alert without a behaviour case is reported untested
    Given a copy of the repository in which a valid alert NodeClockSkew is added
    And the behaviour cases the suite defines and the homelab's promtool unit tests
    Then the alert coverage lists NodeClockSkew as untested

  @US1
  Scenario: A valid new alert is loaded by promtool with the others
    Given a copy of the repository in which a valid alert NodeClockSkew is added
    When promtool checks every rules file the homelab deploys
    Then promtool finds as many rules as the deployed files hold, and no error

  @US1
  Scenario: A recording group evaluated every 5 minutes is loaded, and not failed for the wait
    Given a copy of the repository in which a recording group evaluated every 5 minutes is added
    And a Prometheus server started on this machine with every rules file the homelab deploys
    When it has evaluated every rule whose group is due within the wait
    Then it reports at least 26 alerting rules, as many as the deployed files hold, in as many groups
    And every rule is healthy

  @US1
  Scenario: A second deployed rules file with a metric no exporter has fails US1, naming file, line and rule
    Given a copy of the repository in which the monitoring stack deploys a second rules file with a metric no exporter has
    And the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    Then the check reports "promql/series" for ToolingQueueStuck in the second rules file, at the line of its metric

  @US1
  Scenario: Prometheus and promtool load a second deployed rules file together with the first
    Given a copy of the repository in which the monitoring stack deploys a second rules file with a metric no exporter has
    And a Prometheus server started on this machine with every rules file the homelab deploys
    When it has evaluated every rule whose group is due within the wait
    Then it reports at least 26 alerting rules, as many as the deployed files hold, in as many groups
    And every rule is healthy
    When promtool checks every rules file the homelab deploys
    Then promtool finds as many rules as the deployed files hold, and no error

  @US1
  Scenario: A rules file rendered through templatefile() is checked as rendered
    Given a copy of the repository in which the monitoring stack deploys a second rules file rendered through templatefile()
    And the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    Then no problem is found
    And ToolingHostOverloaded is in the group tooling-alerts, waits 15m before firing and has severity warning
    When promtool checks every rules file the homelab deploys
    Then promtool finds as many rules as the deployed files hold, and no error

  @US1 @textfile
  Scenario: Metrics that scripts write through printf and tee, with their labels, pass US1
    Given a copy of the repository in which scripts publish metrics through printf and tee, and a second rules file alerts on them with their labels
    And the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    Then no problem is found

  @US1 @textfile
  Scenario: An alert on a label the publishing script never writes fails US1, naming the rule and the label
    Given a copy of the repository in which scripts publish metrics through printf and tee, and a second rules file alerts on a label they never write
    And the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    Then the check reports "promql/label" for PveConfigurationDrifted about the label "cluster" in the second rules file

  @US2
  Scenario: A module without a regression file fails US2, naming the module
    Given a copy of the repository in which a module without a regression file is added
    Then the check finds that the module tooling-stack has no regression test file

  @US2
  Scenario: A new module with complete tests passes US2
    Given a copy of the repository in which a module with complete tests is added
    Then every module has a regression test file
    Given the tooling-stack module
    When its tests run
    Then Terraform validates the module
    And every regression run passes
    And every other test run passes
    And its regression file has at least 1 runs

  @US2
  Scenario: A new environment that composes the modules, with tests, passes US2
    Given a copy of the repository in which an environment with tests that composes a new module is added
    When the tests of every environment run
    Then the tests pass in every module and every environment that has tests

  @US2
  Scenario: A module that reads a shared template outside its directory passes, as terraform test does in place
    Given a copy of the repository in which a module reads a shared template through ../../shared
    And the tooling-stack module
    When its tests run
    Then Terraform validates the module
    And every regression run passes
    And every other test run passes

  @US2
  Scenario: A module that reads a template through a linked shared directory passes
    Given a copy of the repository in which a module reads a template through a linked shared directory
    And the tooling-stack module
    When its tests run
    Then Terraform validates the module
    And every regression run passes
    And every other test run passes

  @US2
  Scenario: An environment that reads a file through path.root passes
    Given a copy of the repository in which an environment reads a file through path.root
    When the tests of every environment run
    Then the tests pass in every module and every environment that has tests

  @US3
  Scenario: A BATS file that names its script relative to the root passes, as bats does from the root
    Given a copy of the repository in which a BATS file names its script relative to the root and loads a helper from the root
    When every BATS file of the homelab runs
    Then every test of every BATS file passes
    And nothing was written into the copy or left beside it

  @US3
  Scenario: A BATS test that writes a relative file does not disturb another file's run
    Given a copy of the repository in which two BATS files write the same relative file
    When every BATS file of the homelab runs
    Then every test of every BATS file passes
    And nothing was written into the copy or left beside it

  @US2
  Scenario: An environment bumped past its modules' provider constraint fails US2, naming both constraints
    Given a copy of the repository in which an environment's provider constraint and lock file are bumped past its modules'
    When terraform init's checks run over every module and environment that has tests
    Then terraform init's checks report "terraform-init/no-matching-release" about "bpg/proxmox" in "infrastructure/proxmox/environments/bumped", naming "~> 0.95.0" and "~> 0.94.0"
    And terraform init's checks report "terraform-init/lock-mismatch" about "bpg/proxmox" in "infrastructure/proxmox/environments/bumped/.terraform.lock.hcl"

  @US2
  Scenario: A module pinned to a newer provider release is tested against that release's schema
    Given a copy of the repository in which a module pinned to bpg/proxmox 0.111.1 with a resource only that release has is added
    When terraform init's checks run over every module and environment that has tests
    Then terraform init accepts every module and environment that has tests
    Given the cluster-options module
    When its tests run
    Then Terraform validates the module
    And every regression run passes

  @US3
  Scenario: A new BATS file with a failing test fails, naming the file and the test
    Given a copy of the repository in which a BATS file with a failing test is added
    When every BATS file of the homelab runs
    Then the BATS check reports "bats/test-failed" about "the queue is drained" in "tests/tooling/test_tooling.bats"
    And nothing was written into the copy or left beside it

  @US3
  Scenario: A BATS file that does not parse is a failing step that names it
    Given a copy of the repository in which a BATS file that does not parse is added
    When every BATS file of the homelab runs
    Then the BATS check reports "bats/parse" about "tests/tooling/test_tooling.bats" in "tests/tooling/test_tooling.bats"
    And nothing was written into the copy or left beside it

  @US1
  Scenario: Rules on exporters the suite has no catalog for are listed as not checked, never as dead
    Given a copy of the repository in which a module deploys two exporter containers without catalogs and alerts on their metrics
    And the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    Then no problem is found
    And the check lists EdgeProxyServerErrors and CertificatesExpiring as not checked, naming what deploys them

  @US1
  Scenario: A rule on a metric the deployed node-exporter release no longer has fails, naming the release it left
    Given a copy of the repository in which the monitoring stack runs a node-exporter release that no longer has a metric an alert uses
    And the rules files the homelab deploys
    When the static and catalog checks run over every deployed rules file
    Then the check reports "catalog/removed-metric" for NodeMetricOfAnOlderRelease, naming the release it left
