@US2
Feature: Every Terraform module has regression tests, and they pass
  The homelab's Proxmox modules (the plan names vm, lxc, backup, minio and monitoring-stack;
  the suite finds every module under infrastructure/proxmox/modules/) carry native
  Terraform tests. In v1.1 every module gets a regression test file: each of its runs protects
  the fix of a past release and says which one, and it only plans against mocked providers, so
  no real Proxmox is ever touched. The suite runs these tests for real, on copies of the
  modules, without network access.

  Scenario: Every module has a regression test file
    Given every homelab module
    Then every module has a regression test file

  Scenario: Regression runs only plan, so no real Proxmox is touched
    Given every homelab module
    Then every regression run only plans

  Scenario: Regression runs check the behaviour they protect
    Given every homelab module
    Then every regression run has at least one assertion

  Scenario: Regression runs name the release whose fix they protect
    Given every homelab module
    Then every regression run has a comment just above it naming the release whose fix it protects

  Scenario: Every test file mocks the providers its module needs
    Given every homelab module
    Then every test file mocks each provider its module requires

  Scenario Outline: The <module> module's tests pass
    Given the <module> module
    When its tests run
    Then Terraform validates the module
    And every regression run passes
    And every other test run passes
    And its regression file has at least <runs> runs

    Examples:
      | module           | runs |
      | vm               | 3    |
      | lxc              | 5    |
      | backup           | 4    |
      | minio            | 5    |
      | monitoring-stack | 4    |

  Scenario: The monitoring stack deploys the alert rules that US1 checks
    Given the monitoring-stack module
    When its tests run
    Then the run "user_data_deploys_the_alert_rules_file_verbatim" of "tests/plan_resources.tftest.hcl" passes

  Scenario: Terraform test passes in every module and every environment that has tests
    Given every homelab module
    When the tests of every module and environment run
    Then the tests pass in every module and every environment that has tests
    And every module the plan does not name has at least 1 regression run

  Scenario: terraform init would accept every module and environment that has tests
    Given every homelab module
    When terraform init's checks run over every module and environment that has tests
    Then terraform init accepts every module and environment that has tests

  Scenario Outline: Changing a guarded default fails the regression run that guards it
    Given a copy of the <module> module in which <change>
    When its regression tests run
    Then the run "<run>" fails
    And the failure names the module, the test file, the run and Terraform's message

    Examples:
      | module           | change                                        | run                                          |
      | lxc              | the description defaults to "Managed by hand" | description_defaults_to_managed_by_terraform |
      | minio            | the data size loses its unit suffix           | data_mount_point_size_has_its_unit_suffix    |
      | monitoring-stack | the SCSI controller is virtio-scsi-pci        | vm_uses_the_virtio_scsi_single_controller    |
      | monitoring-stack | the health-check key algorithm is RSA         | health_check_ssh_key_is_ed25519              |
      | backup           | the schedule defaults to "12:00"              | default_schedule_is_one_in_the_morning       |

  Rule: Bad input is a failing step that says what is wrong

    Scenario: A provider version constraint that does not parse
      Given a copy of the repository in which a module's provider constraint does not parse
      When terraform init's checks run over every module and environment that has tests
      Then terraform init's checks report "terraform-init/constraint" about "bpg/proxmox" in "infrastructure/proxmox/modules/vm/versions.tf"

    Scenario: A lock file that does not parse
      Given a copy of the repository in which a module's lock file does not parse
      When terraform init's checks run over every module and environment that has tests
      Then terraform init's checks report "terraform-init/lock-file" about "infrastructure/proxmox/modules/vm/.terraform.lock.hcl" in "infrastructure/proxmox/modules/vm/.terraform.lock.hcl"

    Scenario: A module without tests
      Given a copy of the lxc module in which the tests directory is removed
      When the module's tests are checked
      Then the check finds that the module has no tests directory

    Scenario: A test file that does not parse
      Given a copy of the lxc module in which the regression file is cut off in the middle of a run
      When the module's tests are checked
      Then the check finds that "tests/regression.tftest.hcl" is not valid HCL, with its line
      When its regression tests run
      Then the tests fail and Terraform's own message names "tests/regression.tftest.hcl"
      And no temporary directory is left behind

    Scenario: A regression run that applies, asserts nothing and names no release
      Given a copy of the vm module in which a regression run applies without a release comment or an assertion
      When the module's tests are checked
      Then the check names the file, line and run that applies, asserts nothing and names no release

    Scenario: A test file that does not mock a provider its module requires
      Given a copy of the monitoring-stack module in which the regression file does not mock the tls provider
      When the module's tests are checked
      Then the check finds that "tests/regression.tftest.hcl" does not mock the provider "tls"

    Scenario: A test run that hangs is stopped at its timeout
      Given a copy of the backup module in which a test run never finishes
      When the run that never finishes is started with a timeout of 8 seconds
      Then the run is stopped at its timeout of 8 seconds
      And no temporary directory is left behind

    Scenario: Terraform is missing
      Given a PATH without terraform
      When the lxc module's tests run
      Then the tests cannot run because terraform is missing
      And no temporary directory is left behind

    Scenario: Terraform is older than 1.9
      Given a PATH whose terraform reports version 1.5.7
      When the lxc module's tests run
      Then the tests cannot run because terraform 1.5.7 is older than 1.9.0
      And no temporary directory is left behind
