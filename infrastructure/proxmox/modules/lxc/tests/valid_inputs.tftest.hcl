# Bad inputs are rejected by the lxc module's validations (v1.0).

mock_provider "proxmox" {}

variables {
  hostname         = "dns01"
  node_name        = "pve"
  template_file_id = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
}

run "accepts_the_typical_inputs" {
  command = plan

  variables {
    vm_id      = 999999999
    ip_address = "10.0.0.6/24"
    gateway    = "10.0.0.1"
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.vm_id == 999999999
    error_message = "vm_id 999999999, the highest allowed, must be accepted."
  }
}

run "rejects_a_vm_id_out_of_range" {
  command = plan

  variables {
    vm_id = 42
  }

  expect_failures = [var.vm_id]
}

run "rejects_an_address_without_prefix_length" {
  command = plan

  variables {
    ip_address = "10.0.0.6"
    gateway    = "10.0.0.1"
  }

  expect_failures = [var.ip_address]
}

run "rejects_a_gateway_in_cidr_form" {
  command = plan

  variables {
    ip_address = "10.0.0.6/24"
    gateway    = "10.0.0.1/24"
  }

  expect_failures = [var.gateway]
}

run "rejects_a_rootfs_size_without_unit" {
  command = plan

  variables {
    rootfs_size = "8"
  }

  expect_failures = [var.rootfs_size]
}

run "rejects_an_unknown_os_type" {
  command = plan

  variables {
    os_type = "windows"
  }

  expect_failures = [var.os_type]
}

run "rejects_a_template_that_is_not_a_vztmpl_volume" {
  command = plan

  variables {
    template_file_id = "debian-12.tar.zst"
  }

  expect_failures = [var.template_file_id]
}

run "rejects_a_vlan_out_of_range" {
  command = plan

  variables {
    vlan_id = 4095
  }

  expect_failures = [var.vlan_id]
}
