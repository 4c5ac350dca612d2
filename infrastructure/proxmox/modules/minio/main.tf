locals {
  rootfs_size_gb = endswith(var.rootfs_size, "T") ? tonumber(trimsuffix(var.rootfs_size, "T")) * 1024 : tonumber(trimsuffix(var.rootfs_size, "G"))
  ip             = split("/", var.ip_address)[0]
}

resource "proxmox_virtual_environment_container" "minio" {
  node_name   = var.node_name
  vm_id       = var.vm_id
  description = var.description
  tags        = var.tags

  unprivileged  = true
  start_on_boot = true

  operating_system {
    template_file_id = var.template_file_id
    type             = "debian"
  }

  features {
    nesting = true
  }

  cpu {
    cores = var.cpu_cores
  }

  memory {
    dedicated = var.memory_mb
    swap      = 512
  }

  disk {
    datastore_id = var.datastore_id
    size         = local.rootfs_size_gb
  }

  # The data volume. Its size goes to Proxmox as given, with its unit suffix: a bare number
  # was read as a different unit (regression v0.7.3).
  mount_point {
    volume = var.datastore_id
    size   = var.data_size
    path   = var.data_path
    backup = true
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
        gateway = var.gateway
      }
    }

    user_account {
      keys = var.ssh_public_keys
    }
  }
}

# The provider has no resource for software inside a container: MinIO is installed by a
# post-install step run with `pct exec`, recorded in the input so a change re-runs it.
resource "terraform_data" "install" {
  triggers_replace = [proxmox_virtual_environment_container.minio.id, var.data_path, var.api_port, var.console_port]

  input = {
    node      = coalesce(var.node_ssh_host, var.node_name)
    vm_id     = var.vm_id
    data_path = var.data_path
    environment_file = join("\n", [
      "MINIO_VOLUMES=${var.data_path}",
      "MINIO_OPTS=--address :${var.api_port} --console-address :${var.console_port}",
      "MINIO_ROOT_USER=${var.root_user}",
      "MINIO_ROOT_PASSWORD=${var.root_password}",
      "",
    ])
  }

  provisioner "local-exec" {
    command = <<-EOT
      set -eu
      ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new "root@$NODE" pct exec "$VM_ID" -- sh -c '
        set -eu
        umask 077
        cat > /etc/default/minio
        umask 022
        apt-get update -q </dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q curl ca-certificates </dev/null
        curl -fsSL -o /usr/local/bin/minio https://dl.min.io/server/minio/release/linux-amd64/minio
        chmod 0755 /usr/local/bin/minio
        id minio-user >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin minio-user
        chown minio-user: "$0"
        printf "[Unit]\nDescription=MinIO\nAfter=network-online.target\n[Service]\nUser=minio-user\nEnvironmentFile=/etc/default/minio\nExecStart=/usr/local/bin/minio server \$MINIO_OPTS \$MINIO_VOLUMES\nRestart=always\n[Install]\nWantedBy=multi-user.target\n" > /etc/systemd/system/minio.service
        systemctl daemon-reload && systemctl enable --now minio
      ' "$DATA_PATH" <<ENV
      $ENVIRONMENT_FILE
      ENV
    EOT
    environment = {
      NODE             = self.input.node
      VM_ID            = self.input.vm_id
      DATA_PATH        = self.input.data_path
      ENVIRONMENT_FILE = self.input.environment_file
    }
  }
}
