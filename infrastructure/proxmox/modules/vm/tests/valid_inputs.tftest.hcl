# Bad inputs are rejected by the vm module's validations (v1.0).

mock_provider "proxmox" {}

variables {
  name           = "app01"
  node_name      = "pve"
  template_vm_id = 9000
}

run "accepts_the_typical_inputs" {
  command = plan

  variables {
    vm_id      = 100
    ip_address = "10.0.0.5/24"
    gateway    = "10.0.0.1"
  }

  assert {
    condition     = proxmox_virtual_environment_vm.this.vm_id == 100
    error_message = "vm_id 100, the lowest allowed, must be accepted."
  }
}

run "rejects_a_vm_id_below_100" {
  command = plan

  variables {
    vm_id = 99
  }

  expect_failures = [var.vm_id]
}

run "rejects_a_vm_id_above_999999999" {
  command = plan

  variables {
    vm_id = 1000000000
  }

  expect_failures = [var.vm_id]
}

run "rejects_an_address_without_prefix_length" {
  command = plan

  variables {
    ip_address = "192.168.1.50"
    gateway    = "192.168.1.1"
  }

  expect_failures = [var.ip_address]
}

run "rejects_a_disk_size_without_unit" {
  command = plan

  variables {
    disk_size = "32"
  }

  expect_failures = [var.disk_size]
}

run "rejects_an_invalid_hostname" {
  command = plan

  variables {
    name = "app_01"
  }

  expect_failures = [var.name]
}

run "rejects_upper_case_tags" {
  command = plan

  variables {
    tags = ["Terraform"]
  }

  expect_failures = [var.tags]
}

run "rejects_a_static_address_without_gateway" {
  command = plan

  variables {
    ip_address = "192.168.1.50/24"
  }

  expect_failures = [proxmox_virtual_environment_vm.this]
}

run "rejects_a_malformed_ssh_key" {
  command = plan

  variables {
    ssh_public_keys = ["not-a-key"]
  }

  expect_failures = [var.ssh_public_keys]
}
