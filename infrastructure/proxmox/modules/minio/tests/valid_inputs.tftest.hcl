# Bad inputs are rejected by the minio module's validations (v1.0).

mock_provider "proxmox" {}

variables {
  node_name     = "pve"
  vm_id         = 210
  ip_address    = "192.168.1.70/24"
  gateway       = "192.168.1.1"
  root_password = "correct-horse-battery"
}

run "accepts_the_typical_inputs" {
  command = plan

  assert {
    condition     = output.ip_address == "192.168.1.70"
    error_message = "Typical inputs must plan."
  }
}

run "rejects_a_data_size_without_unit" {
  command = plan

  variables {
    data_size = "100"
  }

  expect_failures = [var.data_size]
}

run "rejects_an_address_without_prefix_length" {
  command = plan

  variables {
    ip_address = "192.168.1.70"
  }

  expect_failures = [var.ip_address]
}

run "rejects_dhcp_because_the_endpoint_must_be_stable" {
  command = plan

  variables {
    ip_address = "dhcp"
  }

  expect_failures = [var.ip_address]
}

run "rejects_a_short_root_password" {
  command = plan

  variables {
    root_password = "short"
  }

  expect_failures = [var.root_password]
}

run "rejects_a_vm_id_out_of_range" {
  command = plan

  variables {
    vm_id = 0
  }

  expect_failures = [var.vm_id]
}

run "rejects_a_port_out_of_range" {
  command = plan

  variables {
    api_port = 70000
  }

  expect_failures = [var.api_port]
}
