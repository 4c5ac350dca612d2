@layout
Feature: The repository has the layout the v1.1 plan names
  The plan names the files each user story creates or changes. Before any behaviour
  is checked, every one of them must be where the plan says it is. Beyond the plan, the
  suite finds the homelab's parts by conventions (README: "Conventions the suite
  discovers by"), so that a homelab that grows is checked without editing the suite.

  Scenario: The suite finds the homelab's parts, and says what it found
    When the homelab is discovered
    Then discovery finds no broken convention
    And it finds at least one module, rules file, publishing script and BATS file, and reports them

  # Timed: @serial keeps the suite's own parallel terraform and promtool runs off the CPU.
  @serial
  Scenario: Discovery is cheap
    When the homelab is discovered
    Then discovery took less than 50 milliseconds

  Rule: A broken convention is a failing step that names what is wrong

    Scenario Outline: <problem>
      Given a copy of the repository in which <change>
      When the homelab is discovered
      Then discovery fails with "<id>" about "<subject>"
      And nothing was written into the copy or left beside it

      Examples:
        | problem                                  | change                                          | id                       | subject                                                                              |
        | No modules directory at all              | the modules directory is removed                | layout/no-modules        | infrastructure/proxmox/modules                                                       |
        | A module directory with no .tf file      | a module directory without .tf files is added   | layout/module-without-tf | notes                                                                                |
        | A rules file the module reads is missing | the deployed rules file is removed              | layout/missing-file      | infrastructure/proxmox/modules/monitoring-stack/files/prometheus/alerts/default.yml |
        | A symlink to nowhere                     | a module links to a file that does not exist    | layout/dangling-link     | infrastructure/proxmox/modules/vm/shared.tf                                          |
        | A symlink out of the repository          | a module links to a file outside the repository | layout/link-outside      | infrastructure/proxmox/modules/vm/shared.tf                                          |

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
