@US3
Feature: Operations scripts survive network blips
  As a homelab admin I want operations scripts to retry a failed SSH connection with a
  growing delay, instead of failing for good on the first micro-outage.

  Two implementations follow the same rules: "bash" is the shared library of the
  operations scripts, run with a stand-in for ssh and for the clock, so nothing connects
  anywhere and no one waits; "rust" is the retry module the suite uses itself. Every
  example runs against both, and both must behave the same.

  Scenario Outline: A command that fails once succeeds on the second attempt (<implementation>)
    Given the <implementation> retry with at most 3 attempts
    And a command that fails with status 1 and then succeeds
    When the command is run with retries
    Then the command ran 2 times
    And the waits between attempts were 1 seconds
    And the final status is 0

    Examples:
      | implementation |
      | bash           |
      | rust           |

  Scenario Outline: A command that fails every attempt is reported with the number of attempts (<implementation>)
    Given the <implementation> retry with at most 4 attempts
    And a command that always fails with status 7
    When the command is run with retries
    Then the command ran 4 times
    And the waits between attempts were 1, 2 and 4 seconds
    And the final status is 7
    And the failure report says it gave up after 4 attempts

    Examples:
      | implementation |
      | bash           |
      | rust           |

  Scenario Outline: The waits double from the first one and stop growing at the cap (<implementation>, <attempts> attempts from <base>s capped at <cap>s)
    Given the <implementation> retry with at most <attempts> attempts
    And a first wait of <base> seconds and waits of at most <cap> seconds
    And a command that always fails with status 1
    When the command is run with retries
    Then the command ran <attempts> times
    And the waits between attempts were <waits> seconds
    And the final status is 1

    Examples:
      | implementation | attempts | base | cap | waits            |
      | bash           | 4        | 1    | 60  | 1, 2 and 4       |
      | rust           | 4        | 1    | 60  | 1, 2 and 4       |
      | bash           | 5        | 2    | 5   | 2, 4, 5 and 5    |
      | rust           | 5        | 2    | 5   | 2, 4, 5 and 5    |
      | bash           | 6        | 1    | 8   | 1, 2, 4, 8 and 8 |
      | rust           | 6        | 1    | 8   | 1, 2, 4, 8 and 8 |
      | bash           | 1        | 1    | 60  | no               |
      | rust           | 1        | 1    | 60  | no               |

  Scenario Outline: A dry run runs nothing (<implementation>)
    Given the <implementation> retry with at most 3 attempts
    And dry-run mode is on
    And a command that always fails with status 1
    When the command is run with retries
    Then the command ran 0 times
    And the waits between attempts were no seconds
    And the final status is 0

    Examples:
      | implementation |
      | bash           |
      | rust           |

  Scenario Outline: A failure that is not retryable stops at once (<implementation>)
    Given the <implementation> retry with at most 3 attempts
    And only status 255 is retried
    And a command that fails with status 1 and then succeeds
    When the command is run with retries
    Then the command ran 1 time
    And the waits between attempts were no seconds
    And the final status is 1

    Examples:
      | implementation |
      | bash           |
      | rust           |

  Scenario Outline: An attempt count that is not a positive whole number is refused (<implementation>, "<max>")
    Given the <implementation> retry with at most "<max>" attempts
    And a command that always fails with status 1
    When the command is run with retries
    Then the retry is refused as a usage error with status 2
    And the command ran 0 times

    Examples:
      | implementation | max |
      | bash           | 0   |
      | rust           | 0   |
      | bash           | abc |
      | rust           | abc |

  Scenario Outline: A lost connection to the node is retried, a failed remote command is not (<implementation>, ssh gives <ssh statuses>)
    Given the <implementation> way of running a command on a node over SSH
    And ssh exits with <ssh statuses> on successive tries
    When the command "qm start 101" is run on node "pve1"
    Then ssh was tried <tries> times
    And the waits between attempts were <waits> seconds
    And the final status is <status>

    Examples:
      | implementation | ssh statuses | tries | waits   | status |
      | bash           | 255, 255, 0  | 3     | 1 and 2 | 0      |
      | rust           | 255, 255, 0  | 3     | 1 and 2 | 0      |
      | bash           | 1, 0         | 1     | no      | 1      |
      | rust           | 1, 0         | 1     | no      | 1      |
      | bash           | 255          | 3     | 1 and 2 | 255    |
      | rust           | 255          | 3     | 1 and 2 | 255    |

  Scenario Outline: The SSH access check tries 3 times before it reports failure (<implementation>)
    Given the <implementation> SSH access check
    And ssh exits with 255 on successive tries
    When the access to node "pve1" is checked
    Then ssh was tried 3 times
    And the waits between attempts were 1 and 2 seconds
    And the access check reports failure

    Examples:
      | implementation |
      | bash           |
      | rust           |

  Scenario: The access check's message says how often it tried, and SSH never prompts
    Given the bash SSH access check
    And ssh exits with 255 on successive tries
    When the access to node "pve1" is checked
    Then the failure message names node "pve1" and says it tried 3 times
    And every ssh call ran in batch mode, with a connect timeout, accepting only new host keys

  Scenario Outline: The Bash library and the Rust module agree (<attempts> attempts, statuses <statuses>, retried <retried>, dry run <dry run>)
    Given at most <attempts> attempts, a first wait of <base> seconds and waits of at most <cap> seconds
    And a command that exits with <statuses> on successive attempts
    And the retried statuses are <retried>
    And dry-run mode is <dry run>
    When both implementations run the command with retries
    Then they ran it the same number of times, waited the same and ended with the same status

    Examples:
      | attempts   | base | cap | statuses   | retried | dry run |
      | 3          | 1    | 60  | 1, 0       | all     | off     |
      | 4          | 1    | 60  | 3, 3, 3, 7 | all     | off     |
      | 5          | 2    | 5   | 1          | all     | off     |
      | 6          | 1    | 8   | 1          | all     | off     |
      | 3          | 1    | 60  | 1, 0       | 255     | off     |
      | 3          | 1    | 60  | 255, 1, 0  | 1, 255  | off     |
      | 3          | 1    | 60  | 1          | all     | on      |
      | 1          | 1    | 60  | 4          | all     | off     |
      | 4          | 0    | 60  | 2          | all     | off     |
      | 3          | 10   | 3   | 1          | all     | off     |
      | 0          | 1    | 60  | 1          | all     | off     |
      | 1000000000 | 1    | 60  | 1          | all     | off     |

  Scenario: The BATS tests of the library pass
    Given the BATS file "tests/restore/test_common.bats"
    When the BATS tests run
    Then every BATS test passes
    And each BATS test has its own result in the JUnit report
    And at least 7 BATS tests execute the retry functions

  Scenario: No existing test breaks: every BATS file of the homelab passes
    When every BATS file of the homelab runs
    Then every test of every BATS file passes
    And each test of every BATS file has its own result in the JUnit report, under its file

  Rule: The plan's retry functions are each executed by a BATS test
    Measured, not guessed: bash traces every line the real BATS runs execute, in the tests'
    own processes and in the scripts they run, and a function counts as executed by a test
    when a line of it ran during that test. A test's name proves nothing.

    @plan
    Scenario Outline: <function> is executed by at least one BATS test
      When every BATS file of the homelab runs
      Then the Bash function "<function>" is executed by at least 1 BATS test

      Examples:
        | function           |
        | retry_with_backoff |
        | ssh_exec_retry     |
        | check_ssh_access   |

    @plan
    Scenario: Without the BATS tests that execute ssh_exec_retry, its floor fails naming it
      The tests removed are the ones the trace shows executing it, those that reach it
      through check_ssh_access or a script included.

      Given a copy of the repository without the BATS tests that execute "ssh_exec_retry"
      When every BATS file of the homelab runs
      Then the floor of the Bash function "ssh_exec_retry" reports "coverage/function-not-executed" about "ssh_exec_retry"
