//! US3: the Bash operations library (BATS runs, calling common.sh functions under stubs).
