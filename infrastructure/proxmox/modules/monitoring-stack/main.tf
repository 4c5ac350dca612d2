locals {
  disk_size_gb = endswith(var.disk_size, "T") ? tonumber(trimsuffix(var.disk_size, "T")) * 1024 : tonumber(trimsuffix(var.disk_size, "G"))
  ip           = split("/", var.ip_address)[0]

  # The alert rules that the US1 checks validate are the very file deployed here.
  alert_rules_file = "${path.module}/files/prometheus/alerts/default.yml"

  prometheus_config = yamlencode({
    global = {
      scrape_interval     = var.scrape_interval
      evaluation_interval = var.scrape_interval
    }
    alerting = {
      alertmanagers = [{ static_configs = [{ targets = ["localhost:9093"] }] }]
    }
    rule_files = ["/etc/prometheus/alerts/*.yml"]
    scrape_configs = concat(
      [
        { job_name = "prometheus", static_configs = [{ targets = ["localhost:9090"] }] },
        { job_name = "node", static_configs = [{ targets = concat(["localhost:9100"], var.node_exporter_targets) }] },
      ],
      var.pve_exporter_address == null ? [] : [{
        job_name       = "pve"
        metrics_path   = "/pve"
        params         = { module = ["default"], cluster = ["1"], node = ["1"] }
        static_configs = [{ targets = var.pve_targets }]
        relabel_configs = [
          { source_labels = ["__address__"], target_label = "__param_target" },
          { source_labels = ["__param_target"], target_label = "instance" },
          { target_label = "__address__", replacement = var.pve_exporter_address },
        ]
      }],
    )
  })

  user_data = "#cloud-config\n${yamlencode({
    hostname         = var.name
    manage_etc_hosts = true
    users = [
      {
        name                = var.username
        groups              = ["sudo"]
        shell               = "/bin/bash"
        sudo                = "ALL=(ALL) NOPASSWD:ALL"
        ssh_authorized_keys = var.ssh_public_keys
      },
      {
        # The health-check user may only read service state: no sudo, no password.
        name                = "healthcheck"
        shell               = "/bin/sh"
        lock_passwd         = true
        ssh_authorized_keys = [trimspace(tls_private_key.health_check.public_key_openssh)]
      },
    ]
    package_update = true
    packages       = ["qemu-guest-agent", "prometheus", "prometheus-alertmanager", "prometheus-node-exporter"]
    write_files = [
      { path = "/etc/prometheus/prometheus.yml", permissions = "0644", content = local.prometheus_config },
      { path = "/etc/prometheus/alerts/default.yml", permissions = "0644", content = file(local.alert_rules_file) },
      { path = "/etc/default/prometheus", permissions = "0644", content = "ARGS=\"--storage.tsdb.retention.time=${var.retention_time}\"\n" },
    ]
    runcmd = [
      ["systemctl", "enable", "--now", "qemu-guest-agent"],
      ["promtool", "check", "config", "/etc/prometheus/prometheus.yml"],
      ["systemctl", "restart", "prometheus", "prometheus-alertmanager", "prometheus-node-exporter"],
    ]
  })}"
}

# Key pair of the health-check job that logs in to verify the stack is up.
resource "tls_private_key" "health_check" {
  # ED25519: short keys, fast, and accepted by every OpenSSH the homelab runs (regression v0.8.2).
  algorithm = "ED25519"
}

# Cloud-init user-data as a snippet: Proxmox can only reference custom user-data stored on a
# datastore with the "snippets" content type, which "local" (a directory storage) has.
resource "proxmox_virtual_environment_file" "cloud_init" {
  content_type = "snippets"
  datastore_id = var.snippets_datastore_id
  node_name    = var.node_name

  source_raw {
    data      = local.user_data
    file_name = "${var.name}-user-data.yaml"
  }
}

resource "proxmox_virtual_environment_vm" "monitoring" {
  name        = var.name
  node_name   = var.node_name
  vm_id       = var.vm_id
  description = var.description
  tags        = var.tags

  on_boot = true
  started = true

  clone {
    vm_id = var.template_vm_id
    full  = true
  }

  agent {
    enabled = true
  }

  cpu {
    cores = var.cpu_cores
    type  = "x86-64-v2-AES"
  }

  memory {
    dedicated = var.memory_mb
  }

  # One IO thread per disk needs virtio-scsi-single; with virtio-scsi-pci the TSDB's writes
  # stalled the guest (regression v0.7.6).
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
    user_data_file_id = proxmox_virtual_environment_file.cloud_init.id

    ip_config {
      ipv4 {
        address = var.ip_address
        gateway = var.gateway
      }
    }

    dynamic "dns" {
      for_each = length(var.dns_servers) > 0 ? [1] : []
      content {
        servers = var.dns_servers
      }
    }
  }
}
