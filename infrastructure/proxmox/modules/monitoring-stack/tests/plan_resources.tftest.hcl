# What the monitoring-stack module plans with typical inputs (v1.0).

mock_provider "proxmox" {}

# The health-check public key goes into the user-data; giving the mock key a value at plan time
# lets the runs below read the rendered user-data.
mock_provider "tls" {
  override_during = plan

  mock_resource "tls_private_key" {
    defaults = {
      public_key_openssh  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHealthCheckKeyForPlansOnly\n"
      private_key_openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nmock\n-----END OPENSSH PRIVATE KEY-----\n"
    }
  }
}

variables {
  node_name      = "pve"
  vm_id          = 150
  template_vm_id = 9000
  ip_address     = "192.168.1.80/24"
  gateway        = "192.168.1.1"
}

run "plans_the_vm_the_snippet_and_the_key" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_vm.monitoring.name == "monitoring" && proxmox_virtual_environment_vm.monitoring.vm_id == 150
    error_message = "The VM must be named monitoring and use var.vm_id."
  }

  assert {
    condition     = proxmox_virtual_environment_vm.monitoring.clone[0].vm_id == 9000 && proxmox_virtual_environment_vm.monitoring.memory[0].dedicated == 4096
    error_message = "The VM must clone the template with 4096 MiB by default."
  }

  assert {
    condition     = proxmox_virtual_environment_vm.monitoring.initialization[0].ip_config[0].ipv4[0].address == "192.168.1.80/24"
    error_message = "The static address must reach cloud-init."
  }

  assert {
    condition     = output.prometheus_url == "http://192.168.1.80:9090" && output.alertmanager_url == "http://192.168.1.80:9093"
    error_message = "The URLs must point at the VM's address."
  }
}

run "user_data_deploys_the_alert_rules_file_verbatim" {
  command = plan

  assert {
    condition     = startswith(proxmox_virtual_environment_file.cloud_init.source_raw[0].data, "#cloud-config\n")
    error_message = "The snippet must be a cloud-config document."
  }

  assert {
    condition = one([
      for f in yamldecode(proxmox_virtual_environment_file.cloud_init.source_raw[0].data).write_files :
      f.content if f.path == "/etc/prometheus/alerts/default.yml"
    ]) == file("files/prometheus/alerts/default.yml")
    error_message = "The user-data must write files/prometheus/alerts/default.yml, unchanged, to /etc/prometheus/alerts/default.yml."
  }
}

run "prometheus_config_loads_the_rules_and_scrapes_the_targets" {
  command = plan

  variables {
    node_exporter_targets = ["192.168.1.10:9100"]
    pve_exporter_address  = "192.168.1.80:9221"
    pve_targets           = ["192.168.1.10"]
  }

  assert {
    condition = yamldecode(one([
      for f in yamldecode(proxmox_virtual_environment_file.cloud_init.source_raw[0].data).write_files :
      f.content if f.path == "/etc/prometheus/prometheus.yml"
    ])).rule_files == ["/etc/prometheus/alerts/*.yml"]
    error_message = "prometheus.yml must load the rules from /etc/prometheus/alerts/."
  }

  assert {
    condition = [
      for job in yamldecode(one([
        for f in yamldecode(proxmox_virtual_environment_file.cloud_init.source_raw[0].data).write_files :
        f.content if f.path == "/etc/prometheus/prometheus.yml"
      ])).scrape_configs : job.job_name
    ] == ["prometheus", "node", "pve"]
    error_message = "prometheus.yml must scrape the jobs prometheus, node and pve."
  }

  assert {
    condition     = strcontains(proxmox_virtual_environment_file.cloud_init.source_raw[0].data, "192.168.1.10:9100")
    error_message = "The extra node exporter target must be scraped."
  }
}

run "health_check_user_gets_the_generated_key" {
  command = plan

  assert {
    condition = one([
      for u in yamldecode(proxmox_virtual_environment_file.cloud_init.source_raw[0].data).users :
      u.ssh_authorized_keys[0] if u.name == "healthcheck"
    ]) == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHealthCheckKeyForPlansOnly"
    error_message = "The healthcheck user must be authorized with the generated public key."
  }
}
