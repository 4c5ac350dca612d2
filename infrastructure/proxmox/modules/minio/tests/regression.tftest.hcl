# Regression tests of the minio module: each run protects the fix of a past release.

mock_provider "proxmox" {}

variables {
  node_name     = "pve"
  vm_id         = 210
  ip_address    = "192.168.1.70/24"
  gateway       = "192.168.1.1"
  root_password = "correct-horse-battery"
}

# Regression v0.7.3: the data mount point size was passed as a bare number (100) and Proxmox created a tiny volume; it carries its unit.
run "data_mount_point_size_has_its_unit_suffix" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_container.minio.mount_point[0].size == "100G"
    error_message = "The data mount point size must be \"100G\", got \"${proxmox_virtual_environment_container.minio.mount_point[0].size}\"."
  }

  assert {
    condition     = can(regex("^[0-9]+[GT]$", proxmox_virtual_environment_container.minio.mount_point[0].size))
    error_message = "The data mount point size must end with its unit, got \"${proxmox_virtual_environment_container.minio.mount_point[0].size}\"."
  }
}

# Regression v0.7.5: tags were replaced by the module's own list; they must be kept as given.
run "tags_are_kept_as_given" {
  command = plan

  variables {
    tags = ["s3", "terraform", "backup-target"]
  }

  assert {
    condition     = proxmox_virtual_environment_container.minio.tags == tolist(["s3", "terraform", "backup-target"])
    error_message = "Tags must be kept as given, got ${jsonencode(proxmox_virtual_environment_container.minio.tags)}."
  }
}

# Regression v0.8.0: the endpoint output was missing, so clients were configured by hand.
run "endpoint_url_output_exists" {
  command = plan

  assert {
    condition     = output.endpoint_url == "http://192.168.1.70:9000"
    error_message = "output.endpoint_url must be http://192.168.1.70:9000, got ${output.endpoint_url}."
  }
}

# Regression v0.8.0: the console URL output was missing.
run "console_url_output_exists" {
  command = plan

  assert {
    condition     = output.console_url == "http://192.168.1.70:9001"
    error_message = "output.console_url must be http://192.168.1.70:9001, got ${output.console_url}."
  }
}

# Regression v0.8.0: the container id and IP address outputs were missing, so the backup and DNS modules could not reference MinIO.
run "container_id_and_ip_address_outputs_exist" {
  command = plan

  assert {
    condition     = output.container_id == 210
    error_message = "output.container_id must be 210, got ${output.container_id}."
  }

  assert {
    condition     = output.ip_address == "192.168.1.70"
    error_message = "output.ip_address must be 192.168.1.70 (no prefix length), got ${output.ip_address}."
  }
}
