# Bad inputs are rejected by the monitoring-stack module's validations (v1.0).

mock_provider "proxmox" {}
mock_provider "tls" {}

variables {
  node_name      = "pve"
  vm_id          = 150
  template_vm_id = 9000
  ip_address     = "192.168.1.80/24"
  gateway        = "192.168.1.1"
}

run "accepts_the_typical_inputs" {
  command = plan

  assert {
    condition     = output.ip_address == "192.168.1.80"
    error_message = "Typical inputs must plan."
  }
}

run "rejects_an_address_without_prefix_length" {
  command = plan

  variables {
    ip_address = "192.168.1.80"
  }

  expect_failures = [var.ip_address]
}

run "rejects_a_vm_id_out_of_range" {
  command = plan

  variables {
    vm_id = 1000000000
  }

  expect_failures = [var.vm_id]
}

run "rejects_a_scrape_interval_that_is_not_a_duration" {
  command = plan

  variables {
    scrape_interval = "30"
  }

  expect_failures = [var.scrape_interval]
}

run "rejects_a_retention_that_is_not_a_duration" {
  command = plan

  variables {
    retention_time = "thirty days"
  }

  expect_failures = [var.retention_time]
}

run "rejects_a_target_without_port" {
  command = plan

  variables {
    node_exporter_targets = ["192.168.1.10"]
  }

  expect_failures = [var.node_exporter_targets]
}

run "rejects_a_disk_size_without_unit" {
  command = plan

  variables {
    disk_size = "50"
  }

  expect_failures = [var.disk_size]
}
