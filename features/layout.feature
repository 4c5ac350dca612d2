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
