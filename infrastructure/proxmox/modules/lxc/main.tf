locals {
  # The provider takes the root filesystem size as a number of gigabytes.
  rootfs_size_gb = endswith(var.rootfs_size, "T") ? tonumber(trimsuffix(var.rootfs_size, "T")) * 1024 : tonumber(trimsuffix(var.rootfs_size, "G"))
  static_ip      = var.ip_address != "dhcp"

  # unattended-upgrades is a Debian-family tool; other distributions have their own mechanism.
  security_updates = var.enable_security_updates && contains(["debian", "ubuntu"], var.os_type)
}

resource "proxmox_virtual_environment_container" "this" {
  node_name   = var.node_name
  vm_id       = var.vm_id
  description = var.description
  # Kept exactly as given (regression v0.7.2).
  tags = var.tags

  unprivileged  = var.unprivileged
  start_on_boot = var.start_on_boot
  started       = var.started

  operating_system {
    template_file_id = var.template_file_id
    type             = var.os_type
  }

  features {
    nesting = var.nesting
  }

  cpu {
    cores = var.cpu_cores
  }

  memory {
    dedicated = var.memory_mb
    swap      = var.swap_mb
  }

  disk {
    datastore_id = var.datastore_id
    size         = local.rootfs_size_gb
  }

  network_interface {
    name    = "eth0"
    bridge  = var.bridge
    vlan_id = var.vlan_id
  }

  initialization {
    hostname = var.hostname

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

    user_account {
      keys = var.ssh_public_keys
    }
  }

  lifecycle {
    precondition {
      condition     = local.static_ip == (var.gateway != null)
      error_message = "gateway must be set with a static ip_address and left null with dhcp."
    }
  }
}

# The provider has no resource for what happens inside a container, so the post-install step
# is a terraform_data whose input records what was run; it runs again when the container is
# replaced.
resource "terraform_data" "security_updates" {
  count = local.security_updates ? 1 : 0

  triggers_replace = [proxmox_virtual_environment_container.this.id]

  input = {
    node  = coalesce(var.node_ssh_host, var.node_name)
    vm_id = proxmox_virtual_environment_container.this.vm_id
    script = join(" && ", [
      "apt-get update -q",
      "DEBIAN_FRONTEND=noninteractive apt-get install -y -q unattended-upgrades",
      "printf 'APT::Periodic::Update-Package-Lists \"1\";\\nAPT::Periodic::Unattended-Upgrade \"1\";\\n' > /etc/apt/apt.conf.d/20auto-upgrades",
      "systemctl enable --now unattended-upgrades",
    ])
  }

  provisioner "local-exec" {
    command = "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new \"root@$NODE\" pct exec \"$VM_ID\" -- sh -c \"$SCRIPT\""
    environment = {
      NODE   = self.input.node
      VM_ID  = self.input.vm_id
      SCRIPT = self.input.script
    }
  }
}
