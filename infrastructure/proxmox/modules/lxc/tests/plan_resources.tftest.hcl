# What the lxc module plans with typical inputs (v1.0).

mock_provider "proxmox" {}

variables {
  hostname         = "dns01"
  node_name        = "pve"
  vm_id            = 201
  template_file_id = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
  ip_address       = "192.168.1.60/24"
  gateway          = "192.168.1.1"
}

run "plans_one_unprivileged_container_from_the_template" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_container.this.node_name == "pve" && proxmox_virtual_environment_container.this.vm_id == 201
    error_message = "The container must be placed on var.node_name with var.vm_id."
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.unprivileged
    error_message = "Containers are unprivileged by default."
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.operating_system[0].template_file_id == "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" && proxmox_virtual_environment_container.this.operating_system[0].type == "debian"
    error_message = "The template and OS type must reach the container."
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.initialization[0].hostname == "dns01"
    error_message = "The hostname must reach the container."
  }
}

run "sizes_from_the_inputs" {
  command = plan

  variables {
    cpu_cores   = 2
    memory_mb   = 1024
    rootfs_size = "20G"
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.cpu[0].cores == 2 && proxmox_virtual_environment_container.this.memory[0].dedicated == 1024
    error_message = "cpu_cores and memory_mb must reach the container."
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.disk[0].size == 20 && proxmox_virtual_environment_container.this.disk[0].datastore_id == "local-lvm"
    error_message = "rootfs_size \"20G\" must become a 20 GB root disk on local-lvm."
  }
}

run "network_from_the_inputs" {
  command = plan

  variables {
    vlan_id     = 20
    dns_servers = ["192.168.1.1", "1.1.1.1"]
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.network_interface[0].name == "eth0" && proxmox_virtual_environment_container.this.network_interface[0].vlan_id == 20
    error_message = "eth0 must carry the VLAN tag."
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.initialization[0].ip_config[0].ipv4[0].address == "192.168.1.60/24"
    error_message = "The CIDR address must reach the container unchanged."
  }

  assert {
    condition     = output.ip_address == "192.168.1.60"
    error_message = "output.ip_address must be the address without prefix length."
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.initialization[0].dns[0].servers == tolist(["192.168.1.1", "1.1.1.1"])
    error_message = "DNS servers must reach the container in order."
  }
}

run "security_updates_step_runs_in_the_container" {
  command = plan

  assert {
    condition     = terraform_data.security_updates[0].input.node == "pve" && terraform_data.security_updates[0].input.vm_id == 201
    error_message = "The post-install step must target the container on its node."
  }

  assert {
    condition     = strcontains(terraform_data.security_updates[0].input.script, "unattended-upgrades")
    error_message = "The post-install step must install unattended-upgrades."
  }
}
