@layout
Feature: The repository has the layout the v1.1 plan names
  The plan names the files each user story creates or changes. Before any behaviour
  is checked, every one of them must be where the plan says it is.

  Scenario: The suite and its reports have their place
    Given the repository under test
    Then it has the file "Cargo.toml"
    And it has the file "Makefile"
    And it has the file "README.md"
    And it has the directory "features"
    And it has the directory "steps"

  @US1
  Scenario: The alert rules live in the monitoring-stack module
    Given the module directory "infrastructure/proxmox/modules/monitoring-stack"
    Then it has the file "files/prometheus/alerts/default.yml"

  @US2
  Scenario Outline: The <module> module has its files and regression tests
    Given the module directory "infrastructure/proxmox/modules/<module>"
    Then it has the file "main.tf"
    And it has the file "variables.tf"
    And it has the file "outputs.tf"
    And it has the file "versions.tf"
    And it has the file "tests/regression.tftest.hcl"

    Examples:
      | module           |
      | vm               |
      | lxc              |
      | backup           |
      | minio            |
      | monitoring-stack |

  @US3
  Scenario: The Bash library and its BATS tests are in place
    Given the repository under test
    Then it has the file "scripts/lib/common.sh"
    And it has the file "tests/restore/test_common.bats"
