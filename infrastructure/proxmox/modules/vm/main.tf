locals {
  # The provider takes the disk size as a number of gigabytes.
  disk_size_gb = endswith(var.disk_size, "T") ? tonumber(trimsuffix(var.disk_size, "T")) * 1024 : tonumber(trimsuffix(var.disk_size, "G"))
  static_ip    = var.ip_address != "dhcp"
}

resource "proxmox_virtual_environment_file" "user_data" {
  count = var.user_data == null ? 0 : 1

  content_type = "snippets"
  datastore_id = var.snippets_datastore_id
  node_name    = var.node_name

  source_raw {
    data      = var.user_data
    file_name = "${var.name}-user-data.yaml"
  }
}

resource "proxmox_virtual_environment_vm" "this" {
  name        = var.name
  node_name   = var.node_name
  vm_id       = var.vm_id
  description = var.description
  # Kept exactly as given: order and duplicates are the caller's (regression v0.5.1).
  tags = var.tags

  on_boot = var.on_boot
  started = var.started

  clone {
    vm_id = var.template_vm_id
    full  = true
  }

  agent {
    enabled = true
  }

  cpu {
    cores = var.cpu_cores
    type  = var.cpu_type
  }

  memory {
    dedicated = var.memory_mb
  }

  scsi_hardware = "virtio-scsi-single"

  disk {
    datastore_id = var.datastore_id
    interface    = "scsi0"
    size         = local.disk_size_gb
    iothread     = true
    discard      = "on"
  }

  network_device {
    bridge  = var.bridge
    model   = "virtio"
    vlan_id = var.vlan_id
  }

  operating_system {
    type = "l26"
  }

  initialization {
    datastore_id      = var.datastore_id
    user_data_file_id = var.user_data == null ? null : proxmox_virtual_environment_file.user_data[0].id

    ip_config {
      ipv4 {
        address = var.ip_address
        gateway = local.static_ip ? var.gateway : null
      }
    }

    dynamic "dns" {
      for_each = length(var.dns_servers) > 0 ? [1] : []
      content {
        servers = var.dns_servers
      }
    }

    dynamic "user_account" {
      for_each = var.user_data == null ? [1] : []
      content {
        username = var.username
        keys     = var.ssh_public_keys
      }
    }
  }

  lifecycle {
    precondition {
      condition     = local.static_ip == (var.gateway != null)
      error_message = "gateway must be set with a static ip_address and left null with dhcp."
    }
  }
}
