# Regression tests of the monitoring-stack module: each run protects the fix of a past release.

mock_provider "proxmox" {}
mock_provider "tls" {}

variables {
  node_name      = "pve"
  vm_id          = 150
  template_vm_id = 9000
  ip_address     = "192.168.1.80/24"
  gateway        = "192.168.1.1"
}

# Regression v0.7.6: the VM used virtio-scsi-pci, which ignores per-disk IO threads, and Prometheus' writes stalled the guest.
run "vm_uses_the_virtio_scsi_single_controller" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_vm.monitoring.scsi_hardware == "virtio-scsi-single"
    error_message = "The VM must use SCSI controller virtio-scsi-single, got \"${proxmox_virtual_environment_vm.monitoring.scsi_hardware}\"."
  }

  assert {
    condition     = proxmox_virtual_environment_vm.monitoring.disk[0].iothread
    error_message = "The system disk must have its IO thread."
  }
}

# Regression v0.7.7: the cloud-init snippet was uploaded to local-lvm, which cannot hold snippets, and the apply failed.
run "cloud_init_snippet_lives_on_datastore_local" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_file.cloud_init.datastore_id == "local"
    error_message = "The cloud-init snippet must live on datastore local, got \"${proxmox_virtual_environment_file.cloud_init.datastore_id}\"."
  }

  assert {
    condition     = proxmox_virtual_environment_file.cloud_init.content_type == "snippets"
    error_message = "The cloud-init user-data must be uploaded as content type snippets."
  }
}

# Regression v0.8.2: the health-check key pair was RSA 2048; it is ED25519.
run "health_check_ssh_key_is_ed25519" {
  command = plan

  assert {
    condition     = tls_private_key.health_check.algorithm == "ED25519"
    error_message = "The health-check SSH key pair must be ED25519, got ${tls_private_key.health_check.algorithm}."
  }
}

# Regression v0.8.3: the VM had no description, so nothing in the Proxmox UI said what it was or who managed it.
run "default_description_is_set" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_vm.monitoring.description == "Monitoring stack: Prometheus, Alertmanager and node exporter - Managed by Terraform"
    error_message = "The default description must be set, got \"${coalesce(proxmox_virtual_environment_vm.monitoring.description, "<empty>")}\"."
  }
}
