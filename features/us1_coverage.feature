@US1 @coverage
Feature: Every alert the plan adds is shown firing and staying quiet
  An alert nobody has seen fire may never fire; one nobody has seen stay quiet may page all
  night. A case shows an alert firing or staying quiet: a behaviour scenario of this suite
  ("... fires", "... does not fire", "... is pending but does not fire yet"), or a test case
  of the homelab's own promtool unit-test files (YAML with rule_files: and tests:, found
  anywhere in the repository), run by the real promtool. The report's "What is tested"
  lists every alert; the floors below are the plan's (docs/coverage-floors.md says how a
  homelab adds its own).

  Scenario: The homelab's own promtool unit tests pass
    Given the promtool unit-test files the homelab has
    When promtool runs each of them from its directory
    Then every test case passes

  @plan
  Scenario: Each of the five new alerts has a firing and a quiet case
    Given the behaviour cases the suite defines and the homelab's promtool unit tests
    Then each of these alerts has a firing case and a quiet case:
      | alert                            |
      | SystemdServiceFailed             |
      | HighLoadAverage                  |
      | HighNetworkErrors                |
      | PrometheusRuleEvaluationFailures |
      | NodeFilesystemAlmostOutOfInodes  |

  Scenario: The floor fails, naming the alert, when no case shows it firing
    Given the behaviour cases the suite defines and the homelab's promtool unit tests
    When the behaviour cases that show HighLoadAverage firing are left out
    Then the floor names HighLoadAverage as having no firing case
