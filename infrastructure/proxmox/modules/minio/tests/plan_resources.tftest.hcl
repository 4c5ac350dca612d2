# What the minio module plans with typical inputs (v1.0).

mock_provider "proxmox" {}

variables {
  node_name     = "pve"
  vm_id         = 210
  ip_address    = "192.168.1.70/24"
  gateway       = "192.168.1.1"
  root_password = "correct-horse-battery"
}

run "plans_the_container_with_a_data_volume" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_container.minio.vm_id == 210 && proxmox_virtual_environment_container.minio.initialization[0].hostname == "minio"
    error_message = "The container must use var.vm_id and the hostname minio."
  }

  assert {
    condition     = length(proxmox_virtual_environment_container.minio.mount_point) == 1 && proxmox_virtual_environment_container.minio.mount_point[0].path == "/data"
    error_message = "The data volume must be mounted at /data."
  }

  assert {
    condition     = proxmox_virtual_environment_container.minio.mount_point[0].volume == "local-lvm" && proxmox_virtual_environment_container.minio.mount_point[0].backup
    error_message = "The data volume must live on the datastore and be included in backups."
  }
}

run "installs_minio_with_the_given_ports" {
  command = plan

  variables {
    api_port     = 9100
    console_port = 9101
  }

  assert {
    condition     = strcontains(terraform_data.install.input.environment_file, "MINIO_OPTS=--address :9100 --console-address :9101")
    error_message = "The MinIO service must listen on the given ports."
  }

  assert {
    condition     = strcontains(terraform_data.install.input.environment_file, "MINIO_VOLUMES=/data")
    error_message = "MinIO must serve the data volume."
  }

  assert {
    condition     = output.endpoint_url == "http://192.168.1.70:9100" && output.console_url == "http://192.168.1.70:9101"
    error_message = "The URLs must follow the ports, got ${output.endpoint_url} and ${output.console_url}."
  }
}

run "a_larger_data_volume_in_terabytes" {
  command = plan

  variables {
    data_size = "2T"
  }

  assert {
    condition     = proxmox_virtual_environment_container.minio.mount_point[0].size == "2T"
    error_message = "data_size \"2T\" must reach the mount point as \"2T\"."
  }
}
