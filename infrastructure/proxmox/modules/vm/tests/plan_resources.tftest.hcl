# What the vm module plans with typical inputs (v1.0).

mock_provider "proxmox" {}

variables {
  name           = "app01"
  node_name      = "pve"
  vm_id          = 120
  template_vm_id = 9000
  ip_address     = "192.168.1.50/24"
  gateway        = "192.168.1.1"
  dns_servers    = ["192.168.1.1"]
  ssh_public_keys = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHomelabTestKeyOnlyForPlans admin@laptop",
  ]
}

run "plans_one_vm_cloned_from_the_template" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_vm.this.name == "app01" && proxmox_virtual_environment_vm.this.node_name == "pve"
    error_message = "The VM must be named after var.name and placed on var.node_name."
  }

  assert {
    condition     = proxmox_virtual_environment_vm.this.clone[0].vm_id == 9000 && proxmox_virtual_environment_vm.this.clone[0].full
    error_message = "The VM must be a full clone of template 9000."
  }

  assert {
    condition     = length(proxmox_virtual_environment_file.user_data) == 0
    error_message = "Without user_data no cloud-init snippet is uploaded."
  }
}

run "sizes_cpu_memory_and_disk_from_the_inputs" {
  command = plan

  variables {
    cpu_cores = 4
    memory_mb = 8192
    disk_size = "1T"
  }

  assert {
    condition     = proxmox_virtual_environment_vm.this.cpu[0].cores == 4 && proxmox_virtual_environment_vm.this.memory[0].dedicated == 8192
    error_message = "cpu_cores and memory_mb must reach the VM."
  }

  assert {
    condition     = proxmox_virtual_environment_vm.this.disk[0].size == 1024
    error_message = "disk_size \"1T\" must become 1024 GB on scsi0, got ${proxmox_virtual_environment_vm.this.disk[0].size}."
  }

  assert {
    condition     = proxmox_virtual_environment_vm.this.scsi_hardware == "virtio-scsi-single" && proxmox_virtual_environment_vm.this.disk[0].iothread
    error_message = "The system disk must use virtio-scsi-single with an IO thread."
  }
}

run "static_address_reaches_cloud_init_and_the_output" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_vm.this.initialization[0].ip_config[0].ipv4[0].address == "192.168.1.50/24"
    error_message = "The CIDR address must reach cloud-init unchanged."
  }

  assert {
    condition     = proxmox_virtual_environment_vm.this.initialization[0].ip_config[0].ipv4[0].gateway == "192.168.1.1"
    error_message = "The gateway must reach cloud-init."
  }

  assert {
    condition     = output.ip_address == "192.168.1.50"
    error_message = "output.ip_address must be the address without its prefix length, got ${output.ip_address}."
  }

  assert {
    condition     = proxmox_virtual_environment_vm.this.initialization[0].user_account[0].username == "admin"
    error_message = "The default login user is admin."
  }
}

run "custom_user_data_is_uploaded_as_a_snippet" {
  command = plan

  variables {
    user_data = "#cloud-config\npackages:\n  - qemu-guest-agent\n"
  }

  assert {
    condition     = proxmox_virtual_environment_file.user_data[0].content_type == "snippets" && proxmox_virtual_environment_file.user_data[0].datastore_id == "local"
    error_message = "Custom user_data must be uploaded as a snippet on datastore local."
  }

  assert {
    condition     = proxmox_virtual_environment_file.user_data[0].source_raw[0].file_name == "app01-user-data.yaml"
    error_message = "The snippet must be named after the VM."
  }

  assert {
    condition     = length(proxmox_virtual_environment_vm.this.initialization[0].user_account) == 0
    error_message = "With custom user_data, the generated user account must be left out."
  }
}
